import { ApplicationFailure, Context } from '@temporalio/activity';
import { failureOf } from '../core/failures';
import type { Plan } from '../core/plan/plan';
import type { PlanSource } from '../shared';
import { inputOfHolder } from '../temporal/planSource';

/** Plans this worker read lately, by run: a worker mostly runs the next generation of a run it ran. */
const CACHED_PLANS = 8;
const cache = new Map<string, Promise<Plan>>();

/**
 * A continued run's plan, read from the input of the run of the same workflow that holds it (see
 * `PlanSource`). A local activity: the result is recorded in the calling run's history, so replay
 * needs no server read. A history never changes, so the plan read once is kept for the worker's
 * next generations of the run (the cache is memoization, not state).
 */
export async function loadPlan(workflowId: string, from: PlanSource): Promise<Plan> {
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

async function read(workflowId: string, runId: string): Promise<Plan> {
  const input = await inputOfHolder(Context.current().client, workflowId, runId);
  if (input?.plan) return input.plan;
  throw ApplicationFailure.create(
    failureOf('PlanValidationError', `the plan of ${workflowId} is gone: its run ${runId} is no longer on the server`),
  );
}
