import type { LimitStart } from '../../core/report/limitUse';
import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Usage } from '../../core';
import { isRetried, type FailureType, type RetriedSometimes } from '../../core/failures';
import { mask, maskValue } from './secrets';
import { HEARTBEAT_BUDGET, heartbeatSpacing } from '../../core/schedule/heartbeats';

/*
 * What a step activity hands back and how: its result (output released as the workflow says), its
 * failures as typed, bounded errors, and the heartbeats that carry its live output.
 */

/** What every step activity returns: small, so histories stay small. */
export interface StepResult {
  output: string;
  attempt: number;
  worker: string;
  /** The output parsed as JSON, when the task asked for it. */
  json?: unknown;
  /** Set when a retry returned this result without running the step again (see kept.ts). */
  recovered?: Recovered;
  /** Under a rate limit: when the step started and how long it waited (activities/limits/started.ts). */
  limitStart?: LimitStart;
}

/**
 * How a retry got a step's result without running it: from the step journal (the step had
 * finished, its report was lost) or by adopting the attempt still running on its worker. `attempt`
 * and `worker` are the retry's; the result's own `attempt` and `worker` are where the step ran.
 */
export interface Recovered {
  how: 'journal' | 'adopted';
  attempt: number;
  worker: string;
}

/** Details attached to a step failure so the task summary can show attempts, worker and output. */
export interface StepFailureDetails {
  attempt: number;
  worker: string;
  output: string;
  /** What a failed agent or llm call cost anyway: it counts toward the run's cost and budget. */
  usage?: Usage;
  /** A 429/503's Retry-After, for an adaptive rate limit (activities/limits). */
  retryAfterMs?: number;
}

/** host:pid of this worker, shown per task so people see how work spread across workers. */
export const workerIdentity = `${hostname()}:${process.pid}`;

/**
 * Output an inline step returns: its result is recorded in the run's own history, next to every
 * other task's, so it gets the same small tail a child hands back to the run.
 */
export const RUN_OUTPUT_CHARS = 4_000;

/** Longest error message a step reports; the output tail holds the rest. */
export const ERROR_MESSAGE_CHARS = 1_000;

/**
 * How much of a step's output leaves its activity, as the workflow says in the step's options: the
 * `tail` when the result is recorded in the run's own history (an inline task, a map's item), all
 * of it (`full`) when it goes to a task's own child workflow.
 */
export type OutputRelease = 'tail' | 'full';

/**
 * What may leave this activity of its output: secrets masked, the tail only when the run records it.
 * Masked before it is cut, so a secret the cut splits cannot leave as an unmatched fragment.
 */
function released(output: string, release: OutputRelease | undefined): string {
  const masked = mask(output);
  return (release ?? legacyRelease()) === 'tail' ? masked.slice(-RUN_OUTPUT_CHARS) : masked;
}

/**
 * Steps scheduled before workflows passed `release` carry none: for them the workflow type decides,
 * as it did then. Only the frozen types (workflows/legacy) schedule such steps, under these names.
 */
function legacyRelease(): OutputRelease {
  const type = Context.current().info.workflowType;
  return type === 'runPlan' || type === 'runMap' ? 'tail' : 'full';
}

/** Wraps a step's output with the attempt number and worker identity. */
export function stepResult(output: string, json?: unknown, release?: OutputRelease): StepResult {
  const result: StepResult = {
    output: released(output, release),
    attempt: Context.current().info.attempt,
    worker: workerIdentity,
  };
  // Secrets are masked in JSON too: it is recorded in histories like the text.
  if (json !== undefined) result.json = maskValue(json);
  return result;
}

/** What a step failure carries besides its message, type and output. */
export interface StepFailureExtras {
  release?: OutputRelease;
  usage?: Usage;
  retryAfterMs?: number;
}

/**
 * A step failure that carries its context. Temporal retries it as the failure table says; for a
 * type retried in some cases only, the step says whether this one is (`retryable`).
 */
export function stepFailure<T extends FailureType>(
  message: string,
  type: T,
  output: string,
  ...[extras]: T extends RetriedSometimes ? [StepFailureExtras & { retryable: boolean }] : [StepFailureExtras?]
): ApplicationFailure {
  const { release, usage, retryable, retryAfterMs } = (extras ?? {}) as StepFailureExtras & { retryable?: boolean };
  const details: StepFailureDetails = {
    attempt: Context.current().info.attempt,
    worker: workerIdentity,
    output: released(output, release),
    ...(usage ? { usage } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
  return ApplicationFailure.create({
    message: mask(message).slice(0, ERROR_MESSAGE_CHARS),
    type,
    nonRetryable: !isRetried(type, retryable),
    details: [details],
  });
}

/** A cancelled step, with its output so far: the task summary keeps it, so a cancelled task's log is not lost. */
export function stepCancelled(message: string, output: string, release?: OutputRelease): CancelledFailure {
  const details: StepFailureDetails = {
    attempt: Context.current().info.attempt,
    worker: workerIdentity,
    output: released(output, release),
  };
  return new CancelledFailure(message, [details]);
}

/** Steps of this worker that heartbeat now. */
let beating = 0;
/** When each running activity last heartbeat (or began to): the steps of one batch item share it. */
const lastBeat = new WeakMap<Context, number>();

/** Heartbeats now, and counts it for the spacing of the activity's later heartbeats. */
export function heartbeatNow(details?: unknown, ctx = Context.current()): void {
  ctx.heartbeat(details);
  lastBeat.set(ctx, Date.now());
}

/**
 * Heartbeats on an interval until stopped, spaced by `heartbeatSpacing` (core/schedule/heartbeats.ts).
 * Cancellation reaches an activity only through heartbeat responses, so long steps must keep
 * heartbeating for cancel to land promptly. An activity heartbeats at its start while the worker is
 * under its budget (`ptq watch` finds a failing step's task in those details), and later steps of the
 * same activity (a batch's items) go on from its last heartbeat, so none goes longer than the spacing.
 * The server keeps the last `details` of a running activity: a shell step's recent output, for `ptq logs`.
 */
export function keepHeartbeating(details: () => unknown = () => undefined, intervalMs = 500): () => void {
  const ctx = Context.current();
  if (!lastBeat.has(ctx)) {
    if (beating < HEARTBEAT_BUDGET) ctx.heartbeat(details());
    lastBeat.set(ctx, Date.now());
  }
  beating++;
  // Once cancelled, an attempt stops beating: a timed-out attempt whose program lives on for a
  // retry (adoption.ts) would otherwise revive itself on the server, and the retry would not come.
  const timer = setInterval(() => {
    const since = Date.now() - (lastBeat.get(ctx) ?? 0);
    if (ctx.cancellationSignal.aborted || since < heartbeatSpacing(beating, ctx.info.heartbeatTimeoutMs)) return;
    heartbeatNow(details(), ctx);
  }, intervalMs);
  let stopped = false;
  return () => {
    clearInterval(timer);
    if (!stopped) beating--;
    stopped = true;
  };
}
