import { ActivityFailure, ApplicationFailure, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { Task } from '../core/plan/plan';
import { limitTaskQueue } from '../core/plan/rates';
import { resolveString, type TemplateContext } from '../core/plan/template';
import { isFailureType } from '../core/failures';

/**
 * Steps under a named rate limit. The workflow only routes: a step of a task with `rateLimit` goes
 * to the limit's activity task queue, whose rate the server holds for every run and worker, and
 * its `rateKey` becomes the activity's fairness key, which the server limits per key. No tokens
 * are counted here.
 *
 * Under an adaptive limit, a step answered 429/503 fails with `RateLimited` (never retried by
 * Temporal, see activities/limits): the task waits the Retry-After the API asked for and schedules
 * the step again, through the limit's queue, as a fresh activity. So a 429 costs no attempt of the
 * step's retry policy, and the retry waits for the (now lower) rate like any other start.
 */

/** A step that keeps getting 429s gives up after this many, with the last one as its failure. */
const MAX_THROTTLED = 100;
const DEFAULT_WAIT_MS = 1_000;
const MAX_WAIT_MS = 60_000;

/** The step's activity options routed to its task's limit, or unchanged for a task without one. */
export function limitedOptions(task: Task, options: ActivityOptions, context?: TemplateContext): ActivityOptions {
  if (task.rateLimit === undefined) return options;
  const key = task.rateKey;
  const fairnessKey = key === undefined || context === undefined ? key : resolveString(key, context);
  return {
    ...options,
    taskQueue: limitTaskQueue(task.rateLimit),
    ...(fairnessKey ? { priority: { fairnessKey: fairnessKey.slice(0, 64) } } : {}),
  };
}

/**
 * A started step, started again by `again` after each `RateLimited` failure, waiting what the API
 * asked for. `seen.throttled` counts those failures, for the summary's 429s.
 */
export function retryThrottled<T>(started: Promise<T>, again: () => Promise<T>, seen = { throttled: 0 }): Promise<T> {
  return started.catch((err: unknown) => {
    const wait = throttleWait(err);
    if (wait === undefined) throw err;
    seen.throttled++;
    if (seen.throttled >= MAX_THROTTLED) throw err;
    return sleep(wait).then(() => retryThrottled(again(), again, seen));
  });
}

/** How long to wait before starting a step that failed with `RateLimited` again; undefined for other failures. */
function throttleWait(err: unknown): number | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  if (!isFailureType(err.cause.type, 'RateLimited')) return undefined;
  const details = err.cause.details?.[0] as { retryAfterMs?: number } | undefined;
  const wait = details?.retryAfterMs ?? DEFAULT_WAIT_MS;
  return Math.min(MAX_WAIT_MS, Math.max(0, wait));
}
