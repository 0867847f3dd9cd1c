import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { dataRoot, writeAtomically } from '../map/mapFiles';

/**
 * The step journal: the result of every step that finished, written under PTQ_DATA_DIR before the
 * worker reports it. A worker killed between the two (or a report lost in an outage) leaves the
 * step to be retried; the retry, on any worker that shares the folder, finds the result here and
 * returns it instead of running the step a second time.
 *
 * Entries are keyed by the step key, the same for every attempt of one step, and written
 * atomically (a temp file renamed into place), so a reader sees a whole result or none. They are
 * kept for JOURNAL_KEEP_MS, longer than any retry of a lost report waits in practice, and pruned
 * by age as new ones are written.
 */

/** How long a journaled result is kept for a retry. */
export const JOURNAL_KEEP_MS = 24 * 60 * 60 * 1000;
/** Pruning scans the folder at most this often per worker. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

let lastPrune = 0;

/**
 * What names one step across all its attempts: its workflow execution (a run's own, or its task's
 * child workflow, including the run id, which continue-as-new changes along with the activity
 * ids) and the activity id, which Temporal keeps for every retry of one activity.
 */
export function stepKey(ctx = Context.current()): string {
  const { workflowExecution, activityId } = ctx.info;
  return `${workflowExecution?.workflowId}\n${workflowExecution?.runId}\n${activityId}`;
}

/** The folder of journal entries and leases: PTQ_DATA_DIR/steps. */
export function stepsDir(): string {
  return join(dataRoot(), 'steps');
}

/** The file of a step's `kind` (journal entry, lease...): a hash of the key, which may hold any character. */
export function stepFile(key: string, kind: string): string {
  return join(stepsDir(), `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.${kind}`);
}

interface Entry {
  key: string;
  result: unknown;
}

/** Journals a finished step's result. */
export function writeJournal(key: string, result: unknown): void {
  const entry: Entry = { key, result };
  writeAtomically(stepFile(key, 'json'), JSON.stringify(entry));
  pruneNow();
}

/** The journaled result of a step, if it finished before; undefined otherwise (or if unreadable). */
export function readJournal(key: string): { result: unknown } | undefined {
  try {
    const entry = JSON.parse(readFileSync(stepFile(key, 'json'), 'utf8')) as Entry;
    return entry.key === key ? { result: entry.result } : undefined;
  } catch {
    return undefined;
  }
}

/** Removes entries (and leases left by dead workers) older than JOURNAL_KEEP_MS, at most once per PRUNE_EVERY_MS. */
function pruneNow(now = Date.now()): void {
  if (now - lastPrune < PRUNE_EVERY_MS) return;
  lastPrune = now;
  const dir = stepsDir();
  for (const name of readdirSync(dir)) {
    try {
      if (now - statSync(join(dir, name)).mtimeMs > JOURNAL_KEEP_MS) unlinkSync(join(dir, name));
    } catch {
      // Pruned meanwhile by another worker sharing the folder.
    }
  }
}
