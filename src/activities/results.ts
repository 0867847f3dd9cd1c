import { existsSync, readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../core/failures';
import type { ItemResult } from '../core/map';
import { mapFiles, writeAtomically } from './mapFiles';
import { mask } from './secrets';

/**
 * A map's results reach its file exactly once per item, crashes and retries included. The workflow
 * decides what goes in each numbered batch (its history fixes that on replay), and a batch is
 * written whole or not at all, so a retried write replaces a batch with the same lines. At the end
 * the batches are joined, in item order, into results.jsonl.
 */
export async function writeResults(input: { dir: string; seq: number; results: ItemResult[] }): Promise<void> {
  const lines = input.results.map((r) => `${JSON.stringify(r)}\n`).join('');
  writeAtomically(mapFiles.batch(input.dir, input.seq), mask(lines));
}

/** Where the results are, and the results themselves when they fit in the task's JSON output. */
export interface FinishedResults {
  path: string;
  json?: unknown[];
}

/** Joins batches `0..batches-1` into results.jsonl, sorted by item index. Idempotent. */
export async function finishResults(input: {
  dir: string;
  batches: number;
  jsonLimit: number;
}): Promise<FinishedResults> {
  const results: ItemResult[] = [];
  for (let seq = 0; seq < input.batches; seq++) {
    const file = mapFiles.batch(input.dir, seq);
    if (!existsSync(file))
      throw ApplicationFailure.create(
        failureOf(
          'ResultsMissing',
          `results batch ${file} is missing: every worker must share PTQ_DATA_DIR (one machine or a shared mount)`,
        ),
      );
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line) results.push(JSON.parse(line) as ItemResult);
  }
  results.sort((a, b) => a.index - b.index);
  const text = results.map((r) => `${JSON.stringify(r)}\n`).join('');
  const path = mapFiles.results(input.dir);
  writeAtomically(path, text);
  // Small maps hand their results to dependents directly too, as {{tasks.ID.json}}.
  const json = results.map(({ index, item, ok, json, output, error }) => ({ index, item, ok, json, output, error }));
  return JSON.stringify(json).length <= input.jsonLimit ? { path, json } : { path };
}
