import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where a map keeps its files: the item spool it reads pages from, and its results. One folder per
 * map workflow under PTQ_DATA_DIR (default ~/.ptq/data), laid out as RUN/TASK. Every worker that
 * may run a map's activities must see the same folder: one machine, or a shared mount.
 */
export function mapDir(workflowId: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = dataRoot(env);
  // Ids may hold anything a user typed; each part becomes one safe folder name.
  const parts = workflowId.split('/').map((p) => encodeURIComponent(p).replace(/^\.+$/, (d) => '%2E'.repeat(d.length)));
  return join(root, ...parts);
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
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, file);
}

/** Where ptq keeps files on this worker: PTQ_DATA_DIR, default ~/.ptq/data. */
export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PTQ_DATA_DIR || join(homedir(), '.ptq', 'data'));
}
