import { Context } from '@temporalio/activity';
import { adopt, trackAttempt } from './adoption';
import { workerIdentity, type Recovered } from './stepResult';
import { readJournal, stepKey, writeJournal } from './stepJournal';
import { holdLease, waitForLease } from './stepLease';

/**
 * Wraps a step activity so that each step runs once as far as this folder of workers can tell,
 * although Temporal's activities are at-least-once:
 *   - a finished step's result is journaled before it is reported (stepJournal.ts);
 *   - a retry returns the journaled result, or adopts the attempt that still runs in this worker
 *     (adoption.ts), or waits while another worker sharing PTQ_DATA_DIR holds the step's lease
 *     (stepLease.ts); only then does it run the step.
 * A result returned without running the step says how, in `recovered`, which the history keeps.
 */
export function keepResults<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const key = stepKey();
    if (Context.current().info.attempt > 1) {
      const earlier = await earlierResult(key);
      if (earlier) return earlier.value as R;
    }
    const releaseLease = holdLease(key);
    const outcome = fn(...args).then((result) => (journal(key, result), result));
    const untrack = trackAttempt(key, outcome);
    try {
      return await outcome;
    } finally {
      untrack();
      releaseLease();
    }
  };
}

/** The result of an earlier attempt of step `key`, if one finished or still runs; its failure is thrown. */
async function earlierResult(key: string): Promise<{ value: unknown } | undefined> {
  const journaled = readJournal(key);
  if (journaled) return { value: recovered(journaled.result, 'journal') };
  const adopted = await adopt(key);
  if (adopted) return { value: recovered(adopted.value, 'adopted') };
  await waitForLease(key);
  const after = readJournal(key);
  return after && { value: recovered(after.result, 'journal') };
}

/** Journals a result; a journal that cannot be written costs only the protection, not the step. */
function journal(key: string, result: unknown): void {
  try {
    writeJournal(key, result);
  } catch (e) {
    Context.current().log.warn(`step result not journaled: ${(e as Error).message}`);
  }
}

/** The result, marked with how this attempt got it without running the step. */
function recovered(result: unknown, how: Recovered['how']): unknown {
  const { attempt } = Context.current().info;
  Context.current().log.info(`step result from an earlier attempt (${how}), not run again`);
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return result;
  const mark: Recovered = { how, attempt, worker: workerIdentity };
  return { ...result, recovered: mark };
}
