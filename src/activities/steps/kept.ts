import { Context } from '@temporalio/activity';
import { keepHeartbeating } from './stepResult';

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

/**
 * Attempts still running here. After an outage the server may start a new attempt while the old
 * one is still running on this worker (its cancel arrives with its next heartbeat): the new one
 * waits for the old one's result instead of running the step a second time alongside it.
 */
const running = new Map<string, Promise<unknown>>();

function key(): string {
  const { workflowExecution, activityId } = Context.current().info;
  return `${workflowExecution?.workflowId}\n${workflowExecution?.runId}\n${activityId}`;
}

/** Wraps a step activity so a retry after a lost report returns the kept result. */
export function keepResults<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const k = key();
    if (Context.current().info.attempt > 1) {
      if (kept.has(k)) return kept.get(k) as R;
      const earlier = running.get(k);
      if (earlier) {
        const stopHeartbeats = keepHeartbeating(); // this attempt must look alive while it waits
        const result = await earlier
          .then(
            (value) => ({ ok: true as const, value: value as R }),
            () => ({ ok: false as const }),
          )
          .finally(stopHeartbeats);
        if (result.ok) return result.value; // else the earlier attempt failed or was cancelled: run it
      }
    }
    const attempt = fn(...args);
    running.set(k, attempt);
    try {
      const result = await attempt;
      if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value as string);
      kept.set(k, result);
      return result;
    } finally {
      if (running.get(k) === attempt) running.delete(k);
    }
  };
}
