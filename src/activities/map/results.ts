import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import type { ItemResult } from '../../core/schedule/map';
import { keepHeartbeating } from '../steps/stepResult';
import { mapFiles, tempFor, writeAtomically } from './mapFiles';
import { secretValues } from '../../workerSecrets';
import { maskValue } from '../steps/secrets';

/** Bytes of results.jsonl written between two returns to the event loop. */
const SLICE_BYTES = 1024 * 1024;

/**
 * A map's results reach its file exactly once per item, crashes and retries included. The workflow
 * decides what goes in each numbered batch (its history fixes that on replay), and a batch is
 * written whole or not at all, so a retried write replaces a batch with the same lines. At the end
 * the batches are joined, in item order, into results.jsonl.
 */
export async function writeResults(input: { dir: string; seq: number; results: ItemResult[] }): Promise<void> {
  const secrets = secretValues();
  const lines = input.results.map((r) => `${JSON.stringify(maskValue(r, secrets))}\n`).join('');
  writeAtomically(mapFiles.batch(input.dir, input.seq), lines);
}

/** Where the results are, and the results themselves when they fit in the task's JSON output. */
export interface FinishedResults {
  path: string;
  json?: unknown[];
}

/** Bytes of batch lines a bucket should hold: one bucket is sorted in memory at a time. */
const BUCKET_BYTES = 16 * 1024 * 1024;
/** Lines a bucket buffers before they are appended to its file. */
const BUCKET_PENDING_BYTES = 64 * 1024;

/**
 * Joins batches `0..batches-1` into results.jsonl, sorted by item index. Idempotent. A map may have
 * a million results, so they are never all in memory: the batches are first dealt into buckets of
 * consecutive indexes (files of about BUCKET_BYTES, sized from `total` and the batches' bytes), then
 * each bucket is sorted on its own and appended in order. The event loop is given back a batch or a
 * megabyte at a time, so the worker's other activities keep heartbeating. Maps from before `total`
 * was passed sort in one bucket.
 */
export async function finishResults(input: {
  dir: string;
  batches: number;
  jsonLimit: number;
  /** Items of the map: every index is below it. */
  total?: number;
}): Promise<FinishedResults> {
  const stopHeartbeats = keepHeartbeating();
  const staging = tempFor(join(input.dir, 'finish'));
  mkdirSync(staging, { recursive: true });
  try {
    const files = Array.from({ length: input.batches }, (_, seq) => mapFiles.batch(input.dir, seq));
    const buckets = new Buckets(staging, bucketSpan(files, input.total));
    for (const file of files) {
      for (const line of (await readFile(file, 'utf8')).split('\n')) if (line) buckets.add(indexOf(line), line);
      await turn();
    }
    buckets.close();
    const path = mapFiles.results(input.dir);
    const json = await writeSorted(path, buckets, input.jsonLimit);
    // Small maps hand their results to dependents directly too, as {{tasks.ID.json}}.
    return json ? { path, json } : { path };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    stopHeartbeats();
  }
}

/** How many consecutive indexes share a bucket; every batch must be there (a worker without it fails here). */
function bucketSpan(files: string[], total: number | undefined): number {
  let bytes = 0;
  for (const file of files) {
    if (!existsSync(file))
      throw ApplicationFailure.create(
        failureOf(
          'ResultsMissing',
          `results batch ${file} is missing: every worker must share PTQ_DATA_DIR (one machine or a shared mount)`,
        ),
      );
    bytes += statSync(file).size;
  }
  if (total === undefined) return Infinity;
  return Math.max(1, Math.ceil(total / Math.max(1, Math.ceil(bytes / BUCKET_BYTES))));
}

/** Result lines dealt into files by index range, appended a few kilobytes at a time. */
class Buckets {
  /** Bucket numbers that have a file, and their lines not yet appended. */
  private readonly pending = new Map<number, { lines: string[]; bytes: number }>();

  constructor(
    private readonly staging: string,
    private readonly span: number,
  ) {}

  add(index: number, line: string): void {
    const bucket = Number.isFinite(this.span) ? Math.floor(index / this.span) : 0;
    let p = this.pending.get(bucket);
    if (!p) this.pending.set(bucket, (p = { lines: [], bytes: 0 }));
    p.lines.push(line, '\n');
    p.bytes += line.length + 1;
    if (p.bytes >= BUCKET_PENDING_BYTES) this.append(bucket, p);
  }

  close(): void {
    for (const [bucket, p] of this.pending) this.append(bucket, p);
  }

  /** The buckets that got lines, in index order. */
  files(): string[] {
    return [...this.pending.keys()].sort((a, b) => a - b).map((b) => this.file(b));
  }

  private append(bucket: number, p: { lines: string[]; bytes: number }): void {
    appendFileSync(this.file(bucket), p.lines.join(''));
    p.lines = [];
    p.bytes = 0;
  }

  private file(bucket: number): string {
    return join(this.staging, `${bucket}.jsonl`);
  }
}

/**
 * Sorts each bucket and writes them in order to a temp file, a megabyte at a time, then renames it
 * into place (whole or nothing). Returns the results as dependents see them while their JSON stays
 * within `limit` characters, else undefined.
 */
async function writeSorted(file: string, buckets: Buckets, limit: number): Promise<unknown[] | undefined> {
  const temp = tempFor(file);
  const fd = openSync(temp, 'w');
  let json: unknown[] | undefined = [];
  let chars = 1; // `[`, then each entry with the `,` or `]` after it
  try {
    for (const bucket of buckets.files()) {
      const lines = (await readFile(bucket, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ index: indexOf(line), line }))
        .sort((a, b) => a.index - b.index);
      let slice: string[] = [];
      let bytes = 0;
      for (const { line } of lines) {
        if (json) {
          const { index, item, ok, json: value, output, error } = JSON.parse(line) as ItemResult;
          const entry = { index, item, ok, json: value, output, error };
          chars += JSON.stringify(entry).length + 1;
          if (chars > limit) json = undefined;
          else json.push(entry);
        }
        slice.push(line, '\n');
        bytes += line.length + 1;
        if (bytes < SLICE_BYTES) continue;
        writeSync(fd, slice.join(''));
        slice = [];
        bytes = 0;
        await turn();
      }
      writeSync(fd, slice.join(''));
      await turn();
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  return json;
}

/** A result line's item index: writeResults puts it first, so most lines need no parse. */
function indexOf(line: string): number {
  const head = /^\{"index":(\d+),/.exec(line);
  return head ? Number(head[1]) : (JSON.parse(line) as ItemResult).index;
}

/** Lets timers and I/O run: heartbeats of this and every other activity of the worker. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
