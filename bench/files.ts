import { performance } from 'node:perf_hooks';
import { fileLocks } from '../src/core/plan/files';
import { quadraticFileLocks } from './filesQuadratic';
import type { Rows } from './support';

/**
 * The overlap of `files` (the file mutexes a run finds before it starts) at 1,000, 10,000 and
 * 50,000 tasks: the pattern index (src/core/files.ts) against the quadratic computation it replaced
 * (bench/filesQuadratic.ts), in the same run. Each task edits two globs of its own module; one task
 * in ten also edits its neighbour's docs, so the runs do have overlaps to find. The quadratic one is
 * timed at 1,000 tasks and scaled by (n / 1,000)² above that, where it would take minutes to hours:
 * the table says so. No server needed: `npm run bench -- --only files`.
 */
export function files(quick: boolean): Rows {
  const rows: Rows = [];
  const base = time(() => quadraticFileLocks({ tasks: plan(1_000) }), false);
  for (const n of quick ? [1_000, 10_000] : [1_000, 10_000, 50_000]) {
    const tasks = plan(n);
    const list = tasks.map((t) => t.files);
    let locks = 0;
    const ms = time(() => (locks = fileLocks(list).held.reduce((s, h) => s + h.length, 0)));
    const old = base * (n / 1_000) ** 2;
    rows.push([
      `files overlap, ${n} tasks x 2 globs (${locks} mutexes): index vs quadratic`,
      `${fmt(ms)}`,
      n === 1_000 ? `${fmt(old)} measured` : `${fmt(old)} estimated (1,000-task time x ${(n / 1_000) ** 2})`,
      (ms / old).toPrecision(2),
      '< 5 s at 50,000',
    ]);
  }
  return rows;
}

function plan(n: number): Array<{ id: string; files: string[] }> {
  return Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    files: [`src/pkg${i % 100}/mod${i}/*.ts`, `docs/mod${i % 10 === 0 ? i - 1 : i}/*.md`],
  }));
}

/** Milliseconds of one call, after one call to warm up if asked (picomatch compiles on first use). */
function time(fn: () => unknown, warm = true): number {
  if (warm) fn();
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function fmt(ms: number): string {
  return ms < 10_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
