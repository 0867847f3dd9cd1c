import { closeSync, existsSync, openSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/**
 * Joins batches `0..batches-1` into results.jsonl, sorted by item index. Idempotent. A map may have
 * a million results, so the work is done a batch file or a megabyte at a time, with the event loop
 * given back in between: the worker's other activities keep heartbeating.
 */
export async function finishResults(input: {
  dir: string;
  batches: number;
  jsonLimit: number;
}): Promise<FinishedResults> {
  const stopHeartbeats = keepHeartbeating();
  try {
    const lines: Array<{ index: number; line: string }> = [];
    for (let seq = 0; seq < input.batches; seq++) {
      const file = mapFiles.batch(input.dir, seq);
      if (!existsSync(file))
        throw ApplicationFailure.create(
          failureOf(
            'ResultsMissing',
            `results batch ${file} is missing: every worker must share PTQ_DATA_DIR (one machine or a shared mount)`,
          ),
        );
      for (const line of (await readFile(file, 'utf8')).split('\n'))
        if (line) lines.push({ index: (JSON.parse(line) as ItemResult).index, line });
      await turn();
    }
    lines.sort((a, b) => a.index - b.index);
    const path = mapFiles.results(input.dir);
    await writeInSlices(
      path,
      lines.map((l) => l.line),
    );
    // Small maps hand their results to dependents directly too, as {{tasks.ID.json}}.
    const json = resultsJson(lines, input.jsonLimit);
    return json ? { path, json } : { path };
  } finally {
    stopHeartbeats();
  }
}

/** The results as dependents see them, or undefined once their JSON would pass `limit` characters. */
function resultsJson(lines: Array<{ line: string }>, limit: number): unknown[] | undefined {
  const json: unknown[] = [];
  let chars = 1; // `[`, then each entry with the `,` or `]` after it
  for (const { line } of lines) {
    const { index, item, ok, json: value, output, error } = JSON.parse(line) as ItemResult;
    const entry = { index, item, ok, json: value, output, error };
    chars += JSON.stringify(entry).length + 1;
    if (chars > limit) return undefined;
    json.push(entry);
  }
  return json;
}

/** Writes lines to a temp file a slice at a time, then renames it into place (whole or nothing). */
async function writeInSlices(file: string, lines: string[]): Promise<void> {
  const temp = tempFor(file);
  const fd = openSync(temp, 'w');
  try {
    let slice: string[] = [];
    let bytes = 0;
    for (const line of lines) {
      slice.push(line, '\n');
      bytes += line.length + 1;
      if (bytes < SLICE_BYTES) continue;
      writeSync(fd, slice.join(''));
      slice = [];
      bytes = 0;
      await turn();
    }
    writeSync(fd, slice.join(''));
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** Lets timers and I/O run: heartbeats of this and every other activity of the worker. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
