import { ActivityFailure, ApplicationFailure, isCancellation, type ActivityOptions } from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Usage } from '../core/plan/plan';
import { failureOf } from '../core/failures';
import { sumUsage } from '../core/report/usage';
import type { StepFailureDetails } from '../activities';

/**
 * What a task hands back to its run: a tail of its output and a bounded error. The run's history
 * holds one completion per task per generation, so with M in the hundreds full outputs could push
 * it past Temporal's 50 MB limit before continue-as-new. The full output stays in the child.
 */
export const RESULT_OUTPUT_CHARS = 4_000;
export const ERROR_CHARS = 1_000;

/** Turns a step's final failure into the task's failure, keeping attempts, worker and output. */
export function taskFailure(err: unknown, options: ActivityOptions, spent?: Usage): unknown {
  if (isCancellation(err) || !(err instanceof ActivityFailure)) return err;
  const cause = err.cause;
  const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
    StepFailureDetails | undefined;
  const exhausted = err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED;
  const attempts = details?.attempt ?? (exhausted ? (options.retry?.maximumAttempts ?? 1) : 1);
  const message = (cause?.message ?? err.message).slice(0, ERROR_CHARS);
  return ApplicationFailure.create({
    ...failureOf('TaskFailed', `${message} (in: ${options.summary})`),
    details: [
      {
        attempts,
        worker: details?.worker,
        output: (details?.output ?? '').slice(-RESULT_OUTPUT_CHARS),
        usage: sumUsage(spent, details?.usage),
      },
    ],
  });
}
