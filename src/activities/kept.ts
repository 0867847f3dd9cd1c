import { Context } from '@temporalio/activity';

/**
 * Results of steps that finished on this worker, kept for a retry of the same activity.
 *
 * When the server is unreachable as a step finishes, the worker cannot report the result. Once
 * the server is back, the step's heartbeat timeout has passed, so Temporal schedules another
 * attempt, and without this the step would run again. A retry that reaches the worker that kept
 * the result returns it without running anything. A retry that reaches another worker, or a
 * worker restarted since, still runs the step again: activities are at-least-once.
 */
const kept = new Map<string, unknown>();
const MAX_KEPT = 10_000;

function key(): string {
  const { workflowExecution, activityId } = Context.current().info;
  return `${workflowExecution?.workflowId}\n${workflowExecution?.runId}\n${activityId}`;
}

/** Wraps a step activity so a retry after a lost report returns the kept result. */
export function keepResults<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const k = key();
    if (Context.current().info.attempt > 1 && kept.has(k)) return kept.get(k) as R;
    const result = await fn(...args);
    if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value as string);
    kept.set(k, result);
    return result;
  };
}
