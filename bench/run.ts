/**
 * ptq benchmarks, each side by side with a baseline in the same run on a real dev server:
 *   1. throughput: N no-op tasks at M, ptq (child and inline tasks) vs a bare activity fan-out, and
 *      the promises each task makes in the workflow (what the SDK's stack traces cost), same baseline;
 *   2. per-hop latency on a chain: predecessor done -> successor started, vs a bare activity chain;
 *   3. schedule quality on random DAGs: makespan / lower bound for critical-path, fifo, levels;
 *   4. cancellation: cancel -> every running process gone, vs bare activities cancelled;
 *   5. faults: a worker killed with -9 or stopped with SIGTERM mid-run, vs the same run unharmed;
 *   6. map: items/s vs a bare activity fan-out, and until -> running items gone vs a bare cancel.
 *   7. dashboard: a 2,000-task run's page in headless Chromium: drawn, blocked while live, end shown;
 *   8. limits: rate achieved vs a named limit, adaptive vs fixed maxParallel against a 429ing API, overhead;
 *   9. fairness: Jain's index between runs sharing workers, auto vs fixed maxParallel and M;
 *  10. files: the overlap of `files` at 1,000-50,000 tasks, index vs the old quadratic way (no server).
 * Only with `--only NAME`: browser (pages/s with a pool of 1, 2 and 4 browsers vs a Chromium launched per
 *   item, and the worker's RSS), map-wide (3,000 items in flight), million.
 * `--scale`: 10,000- and 50,000-task plans, a 100,000-item map, a 3,000-wide map, and a map of a million
 *   items in batches against a local HTTP server (`--million N` for another size).
 * `--stg DIR`: schedule quality against the published optima of the Standard Task Graph Set (no server);
 * with `--exact SECONDS`, the cases ptq misses are settled by an exact solver (see stgExact.ts).
 * `--all`: every suite above and `--scale` in one run and one table, with the STG rows if `--stg DIR` is given.
 * Usage: npm run bench [-- --quick | --scale | --all [--stg DIR] | --stg DIR [--exact SECONDS] | --only NAME] [--million N]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { dataConverter } from '../src/temporal/codec';
import { startDevServer } from '../src/temporal/devServer';
import { HEARTBEAT_THROTTLE } from '../src/worker';
import { PRELOAD_MODULES } from '../src/temporal/workflowBundle';
import { browser } from './browser';
import { cancellation } from './cancellation';
import { dashboard } from './dashboard';
import { fairness } from './fairness';
import { faults } from './faults';
import { files } from './files';
import { generation } from './generation';
import { limits } from './limits';
import { map, mapScale, mapWide } from './map';
import { million } from './million';
import { quality } from './quality';
import { scale } from './scale';
import { stg } from './stg';
import { promises } from './promises';
import { hops, throughput } from './speed';
import { noop, type BenchContext, type Rows } from './support';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const suites: Record<string, (ctx: BenchContext) => Promise<Rows>> = {
  throughput,
  promises,
  hops,
  quality,
  cancellation,
  faults,
  map,
  dashboard,
  limits,
  fairness,
};

async function main(): Promise<void> {
  const stgDir = process.argv.includes('--stg') ? process.argv[process.argv.indexOf('--stg') + 1] : undefined;
  const exact = process.argv.includes('--exact')
    ? Number(process.argv[process.argv.indexOf('--exact') + 1])
    : undefined;
  const all = process.argv.includes('--all');
  if (stgDir && !all) return printTable(['benchmark', 'ptq', 'worst', 'hits', 'target'], await stg(stgDir, exact));
  if (only === 'files') return printTable(HEADER, files(quick));
  if (only === 'generation') return printTable(HEADER, generation());
  // Maps keep their spools and results here, not in the home directory.
  process.env.PTQ_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'ptq-bench-data-'));
  const server = await startDevServer({ headless: true, log: (l) => console.error(l) });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    bundlerOptions: { preloadModules: PRELOAD_MODULES },
    dataConverter,
    activities: createActivities({ userActivities: { noop } }),
    maxConcurrentActivityTaskExecutions: 500,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  });
  const rows: Rows = [];
  try {
    await worker.runUntil(async () => {
      const ctx = { client, address: server.address, taskQueue, quick, serverPid: server.process.pid };
      if (only === 'map-scale') return void rows.push(...(await mapScale(ctx)));
      if (only === 'browser') return void rows.push(...(await browser(ctx)));
      if (only === 'map-wide') return void rows.push(...(await mapWide(ctx)));
      if (only === 'scale') return void rows.push(...(await scale(ctx)));
      if (only === 'million') return void rows.push(...(await million(ctx)));
      const scaleRows = async () => [
        ...(await scale(ctx)),
        ...(await mapScale(ctx)),
        ...(await mapWide(ctx)),
        ...(await million(ctx)),
      ];
      if (process.argv.includes('--scale')) return void rows.push(...(await scaleRows()));
      for (const [name, suite] of Object.entries(suites)) if (!only || only === name) rows.push(...(await suite(ctx)));
      if (!only) rows.push(...files(quick));
      if (all) rows.push(...(await scaleRows()));
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
  // The STG rows put the worst case and the hits where the others have the baseline and the ratio.
  if (stgDir) rows.push(...(await stg(stgDir, exact)));
  printTable(HEADER, rows);
}

const HEADER = ['benchmark', 'ptq', 'baseline', 'ptq / baseline', 'target'];

function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join(' | ')} |`;
  console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
