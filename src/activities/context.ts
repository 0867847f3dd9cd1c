import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/** What every step activity returns: small, so histories stay small. */
export interface StepResult {
  output: string;
  attempt: number;
  worker: string;
}

/** Details attached to a step failure so the task summary can show attempts, worker and output. */
export interface StepFailureDetails {
  attempt: number;
  worker: string;
  output: string;
}

/** host:pid of this worker, shown per task so people see how work spread across workers. */
const workerIdentity = `${hostname()}:${process.pid}`;

/** Wraps a step's output with the attempt number and worker identity. */
export function stepResult(output: string): StepResult {
  return { output, attempt: Context.current().info.attempt, worker: workerIdentity };
}

/** A step failure that carries its context; Temporal retries it unless `nonRetryable`. */
export function stepFailure(message: string, type: string, output: string, nonRetryable = false): ApplicationFailure {
  const details: StepFailureDetails = { attempt: Context.current().info.attempt, worker: workerIdentity, output };
  return ApplicationFailure.create({ message, type, nonRetryable, details: [details] });
}

/**
 * Heartbeats on an interval until stopped. Cancellation reaches an activity only through heartbeat
 * responses, so long steps must keep heartbeating for cancel to land promptly.
 */
export function keepHeartbeating(intervalMs = 500): () => void {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), intervalMs);
  return () => clearInterval(timer);
}
