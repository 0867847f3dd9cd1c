import { ApplicationFailure, Context } from '@temporalio/activity';
import { RawValue } from '@temporalio/common';
import type { Plan } from '../core/plan/plan';
import { failureOf } from '../core/failures';
import type { PlanSource } from '../shared';
import { jsonPayload } from '../temporal/payloadConverter';
import { inputOfHolder } from '../temporal/planSource';

/** Plans this worker read lately, by run: a worker mostly runs the next generation of a run it ran. */
const CACHED_PLANS = 8;
const cache = new Map<string, Promise<Uint8Array>>();

/**
 * A continued run's plan, read from the input of the run of the same workflow that holds it (see
 * `PlanSource`). A local activity: the result is recorded in the calling run's history, so replay
 * needs no server read. A history never changes, so the plan read once is kept for the worker's
 * next generations of the run (the cache is memoization, not state). It is kept as its JSON, and
 * sent as the very payload the JSON converter would make of it: a 50,000-task plan is 5 MB of JSON
 * that the worker otherwise wrote again for every generation, and its parsed form takes about 10x
 * that in memory. The codec still gzips it each time.
 */
export async function loadPlan(workflowId: string, from: PlanSource): Promise<Plan> {
  const key = `${workflowId}\n${from.runId}`;
  let json = cache.get(key);
  if (!json) {
    json = read(workflowId, from.runId);
    cache.set(key, json);
    json.catch(() => cache.delete(key));
    if (cache.size > CACHED_PLANS) cache.delete(cache.keys().next().value as string);
  }
  const data = await json;
  // The payload converter passes a RawValue's payload through as it is; the workflow gets the plan.
  return RawValue.fromPayload(jsonPayload(data)) as unknown as Plan;
}

async function read(workflowId: string, runId: string): Promise<Uint8Array> {
  const input = await inputOfHolder(Context.current().client, workflowId, runId);
  if (input?.plan) return new TextEncoder().encode(JSON.stringify(input.plan));
  throw ApplicationFailure.create(
    failureOf('PlanValidationError', `the plan of ${workflowId} is gone: its run ${runId} is no longer on the server`),
  );
}
