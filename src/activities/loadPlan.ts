import { ApplicationFailure, Context } from '@temporalio/activity';
import { failureOf } from '../core/failures';
import type { PlanSource } from '../shared';
import { inputOfHolder } from '../temporal/planSource';

/** Plans this worker read lately, by run: a worker mostly runs the next generation of a run it ran. */
const CACHED_PLANS = 8;
const cache = new Map<string, Promise<Uint8Array>>();

/**
 * A continued run's plan, read from the input of the run of the same workflow that holds it (see
 * `PlanSource`), as its JSON in UTF-8. A local activity: the result is recorded in the calling
 * run's history, so replay needs no server read. A history never changes, so the plan read once is
 * kept for the worker's next generations of the run (the cache is memoization, not state). Bytes,
 * not the plan: a 50,000-task plan is 5 MB of JSON that the worker would otherwise write again for
 * every generation (the workflow parses it either way), and 5 MB kept, not the 10x that the parsed
 * plan takes in memory.
 */
export async function loadPlan(workflowId: string, from: PlanSource): Promise<Uint8Array> {
  const key = `${workflowId}\n${from.runId}`;
  let plan = cache.get(key);
  if (!plan) {
    plan = read(workflowId, from.runId);
    cache.set(key, plan);
    plan.catch(() => cache.delete(key));
    if (cache.size > CACHED_PLANS) cache.delete(cache.keys().next().value as string);
  }
  return plan;
}

async function read(workflowId: string, runId: string): Promise<Uint8Array> {
  const input = await inputOfHolder(Context.current().client, workflowId, runId);
  if (input?.plan) return new TextEncoder().encode(JSON.stringify(input.plan));
  throw ApplicationFailure.create(
    failureOf('PlanValidationError', `the plan of ${workflowId} is gone: its run ${runId} is no longer on the server`),
  );
}
