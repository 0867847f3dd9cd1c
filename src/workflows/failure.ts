import { ApplicationFailure, CancelledFailure } from '@temporalio/workflow';
import type { MapItems } from '../core/schedule/map';
import type { Usage } from '../core/plan/plan';
import type { LimitUses } from '../core/report/limitUse';
import { isFailureType } from '../core/failures';
import type { MergeRecord, TaskOutcome } from '../core/schedule/scheduler';

/** What a failed task hands back in its `TaskFailed` details. */
export interface TaskFailedDetails {
  attempts?: number;
  worker?: string;
  output?: string;
  /** A map's results file, written even when the map failed. */
  results?: string;
  /** What its llm and agent steps cost before it failed. */
  usage?: Usage;
  /** A merge conflict: the files. */
  merge?: MergeRecord;
  /** A map: how its items went, and why it stopped. */
  items?: MapItems;
  stop?: string;
  /** A map: its items' use of named rate limits. */
  limits?: LimitUses;
}

/** Attempts, worker, output and a one-line error from a task's failure (child, inline or map item). */
export function failureOutcome(error: unknown): Omit<TaskOutcome, 'endedAt'> {
  let cause = error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure && isFailureType(cause.type, 'TaskFailed')) {
    const d = (cause.details?.[0] ?? {}) as TaskFailedDetails;
    const { attempts, worker, output, results, usage, merge, items, stop, limits } = d;
    return {
      error: cause.message,
      attempts,
      worker,
      output,
      results,
      ...(usage ? { usage } : {}),
      ...(merge ? { merge } : {}),
      ...(items ? { items, ...(stop ? { stop } : {}) } : {}),
      ...(limits ? { limits } : {}),
    };
  }
  return { error: cause instanceof Error ? cause.message : String(cause), attempts: 1 };
}

/**
 * What a cancelled inline task had done: its step's output up to the cancel, which the step hands
 * back with its cancellation (see `stepCancelled`). Empty for older steps and child tasks.
 */
export function cancelledOutcome(error: unknown): Pick<TaskOutcome, 'output' | 'attempts' | 'worker'> {
  let cause = error;
  while (cause instanceof Error && !(cause instanceof CancelledFailure) && cause.cause) cause = cause.cause;
  const d = cause instanceof CancelledFailure ? (cause.details?.[0] as TaskFailedDetails | undefined) : undefined;
  if (!d || typeof d.output !== 'string') return {};
  return {
    output: d.output,
    ...(d.worker ? { worker: d.worker } : {}),
    ...(d.attempts ? { attempts: d.attempts } : {}),
  };
}
