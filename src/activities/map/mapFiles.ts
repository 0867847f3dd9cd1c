import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where a map keeps its files: the item spool it reads pages from, and its results. One folder per
 * map workflow under PTQ_DATA_DIR (default ~/.ptq/data), laid out as runs/RUN/TASK. Every worker
 * that may run a map's activities must see the same folder: one machine, or a shared mount.
 * A map's workflow id is `RUN/TASK` and task ids have no "/", so the run id is all before the last
 * one, slashes and all.
 */
export function mapDir(workflowId: string, env: NodeJS.ProcessEnv = process.env): string {
  const cut = workflowId.lastIndexOf('/');
  return join(runDir(workflowId.slice(0, cut), env), folderName(workflowId.slice(cut + 1)));
}

/**
 * The folder of one run: runs/RUN, the whole id escaped into one folder name. Ids that differ only
 * in their slashes ("x//m", "x/m") get folders of their own, never one inside another's. Names start
 * with no ".", so a run's `.worktrees` and other dot-folders cannot be a task's or another run's.
 * A map keeps the folder it was given when it opened its items (the workflow carries it), so maps
 * that opened under the earlier layout (RUN split at each "/" right under PTQ_DATA_DIR) go on there.
 */
export function runDir(runId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(dataRoot(env), 'runs', folderName(runId));
}

/** Anything a user typed, as one folder name: every "/" escaped, no leading ".", at most 255 bytes. */
function folderName(id: string): string {
  const name = encodeURIComponent(id).replace(/^\./, '%2E');
  if (name.length <= 200) return name;
  // encodeURIComponent never writes "+", so a shortened name cannot be another id's full one.
  return `${name.slice(0, 150)}+${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/** The files of a map folder. */
export const mapFiles = {
  items: (dir: string) => join(dir, 'items.jsonl'),
  /** Byte offset of every item line, 8 bytes each, so a page is read without scanning. */
  index: (dir: string) => join(dir, 'items.idx'),
  batch: (dir: string, seq: number) => join(dir, 'batches', `${String(seq).padStart(6, '0')}.jsonl`),
  results: (dir: string) => join(dir, 'results.jsonl'),
};

/**
 * Writes a whole file or nothing: a temp file renamed into place. A retried activity that writes
 * the same file again replaces it with the same content, so retries never duplicate lines.
 */
export function writeAtomically(file: string, data: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = tempFor(file);
  writeFileSync(temp, data);
  renameSync(temp, file);
}

/**
 * A temp file beside `file` that no other writer uses: workers on other hosts (or in containers,
 * where pids repeat) share PTQ_DATA_DIR, and an orphaned attempt may write while its retry does.
 */
export function tempFor(file: string): string {
  return `${file}.${randomUUID()}.tmp`;
}

/** Where ptq keeps files on this worker: PTQ_DATA_DIR, default ~/.ptq/data. */
export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PTQ_DATA_DIR || join(homedir(), '.ptq', 'data'));
}
