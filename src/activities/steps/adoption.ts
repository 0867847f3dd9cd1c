import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { keepHeartbeating } from './stepResult';
import { watchOrphan } from './orphanWatch';
import { stepKey } from './stepJournal';

/**
 * Step attempts running in this worker, by step key, so a retry of the same step that lands here
 * adopts the attempt instead of running the step again.
 *
 * When the server is unreachable for longer than a step's heartbeat timeout, Temporal gives up on
 * the running attempt: its next heartbeat (or the worker's own timer) cancels it as timed out or
 * not found, and the server schedules a retry. The step's program is not killed for that: it
 * becomes an orphan that keeps running in its process group, still watched by the reaper, and a
 * retry that reaches this worker waits for it and reports its result (or its failure). The worker
 * gives up on an orphan, killing its group, when the server says no retry is coming for it (see
 * orphanWatch.ts), when the worker is asked to stop, or when the worker dies (the reaper).
 */

interface Running {
  /** The attempt's end: its result once journaled, or its failure. */
  outcome: Promise<unknown>;
  /** Kills the orphaned attempt's program; set once it is orphaned. */
  kill?: () => void;
  /** Retries of the step waiting for it in this worker. */
  adopters: number;
}

const running = new Map<string, Running>();

/** Lists an attempt of the step `key` that runs here until `outcome` settles; call the returned function then. */
export function trackAttempt(key: string, outcome: Promise<unknown>): () => void {
  const entry: Running = { outcome, adopters: 0 };
  running.set(key, entry);
  return () => {
    if (running.get(key) === entry) running.delete(key);
  };
}

/**
 * Called when a running program's activity is cancelled. If the attempt only timed out (the server
 * lost track of it) and a retry can adopt it, keeps the program running as an orphan and returns
 * true; otherwise returns false and the caller kills it. `kill` stops the program. Takes the
 * activity's context: the cancel's event comes outside it.
 */
export function keepOrphan(ctx: Context, kill: () => void): boolean {
  const why = ctx.cancellationDetails;
  const lost = why && (why.timedOut || why.notFound) && !(why.cancelRequested || why.workerShutdown || why.reset);
  const key = stepKey(ctx);
  const entry = running.get(key);
  if (!lost || !entry || entry.kill) return false;
  const giveUp = () => {
    Runtime.instance().deregisterShutdownSignalCallback(giveUp);
    kill();
  };
  entry.kill = giveUp;
  // A worker asked to stop does not wait for orphans: their retries run elsewhere once they are gone.
  Runtime.instance().registerShutdownSignalCallback(giveUp);
  void entry.outcome.catch(() => undefined).finally(() => Runtime.instance().deregisterShutdownSignalCallback(giveUp));
  ctx.log.warn('step attempt timed out on the server; its program keeps running for a retry to adopt');
  void watchOrphan(ctx, key, {
    running: () => running.get(key) === entry,
    adopted: () => entry.adopters > 0,
    giveUp,
  });
  return true;
}

/**
 * Waits for an attempt of step `key` that still runs here, while this attempt heartbeats: its
 * result as `{ value }`, or its failure thrown. Undefined when none runs here, or when it was
 * stopped rather than finished (then this attempt runs the step). A cancel of this attempt
 * requested by its run stops the adopted program too.
 */
export async function adopt(key: string): Promise<{ value: unknown } | undefined> {
  const entry = running.get(key);
  if (!entry) return undefined;
  const ctx = Context.current();
  entry.adopters++;
  ctx.log.info('adopting the step attempt that still runs on this worker');
  const stopHeartbeats = keepHeartbeating();
  const onAbort = () => {
    if (ctx.cancellationDetails?.cancelRequested) entry.kill?.();
  };
  ctx.cancellationSignal.addEventListener('abort', onAbort);
  try {
    const ended = entry.outcome.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const end = await Promise.race([ended, ctx.cancelled]);
    if (end.ok) return { value: end.value };
    if (end.error instanceof CancelledFailure) return undefined;
    throw end.error;
  } finally {
    entry.adopters--;
    stopHeartbeats();
    ctx.cancellationSignal.removeEventListener('abort', onAbort);
  }
}
