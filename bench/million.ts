import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startRun, summaryOf } from '../src/client';
import { Plan } from '../src/core';
import { BUNDLE_OPTIONS } from '../src/temporal/workflowBundle';
import { onWorker } from './scale';
import type { BenchContext, Rows } from './support';

const BATCH = 200;
/** Items in flight: maxParallel counts items, so this is 5 batches of 200 at once (each runs its items in turn). */
const PARALLEL = 1_000;
/** The bare baseline's items: its batches' inputs and results stay in one history, which must stay under 50 MB. */
const BARE_ITEMS = 100_000;

/**
 * A map of `--million N` items (default 1,000,000) with `batch: 200`, each item a GET to a server on
 * 127.0.0.1, on a fresh worker process: time, items/s and the worker's peak RSS, and a check that
 * the results file holds every index once. Baseline: ptq's own batch activity (`runItemBatch`, the
 * same steps) called by a bare workflow at the same number of batches in flight, over
 * min(N, 100,000) items: the item machinery's cost (spool, pages, results, continue-as-new) shows
 * as the ratio.
 */
export async function million({ client, address }: BenchContext): Promise<Rows> {
  const flag = process.argv.indexOf('--million');
  const n = flag >= 0 ? Number(process.argv[flag + 1]) : 1_000_000;
  const server = createServer((req, res) => {
    const item = /\/i\/(\d+)/.exec(req.url ?? '')?.[1] ?? '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"n":${item}}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/i/{{item}}`;
  const bundle = join(mkdtempSync(join(tmpdir(), 'ptq-bench-bundle-')), 'workflows.js');
  writeFileSync(
    bundle,
    (await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), ...BUNDLE_OPTIONS })).code,
  );
  try {
    const bareN = Math.min(n, BARE_ITEMS);
    const bare = await onWorker(address, bundle, async (taskQueue) => {
      const t0 = Date.now();
      const args = [bareN, BATCH, PARALLEL / BATCH, url];
      await client.workflow.execute('bareItemBatches', { taskQueue, workflowId: `bare-${randomUUID()}`, args });
      return bareN / ((Date.now() - t0) / 1000);
    });
    const plan = Plan.parse({
      name: 'million',
      maxConcurrency: PARALLEL,
      tasks: [
        {
          id: 'each',
          output: 'json',
          map: { items: { range: [0, n] }, maxParallel: PARALLEL, batch: BATCH },
          run: { type: 'http', url, expectStatus: [200] },
        },
      ],
    });
    const run = await onWorker(address, bundle, async (taskQueue) => {
      const t0 = Date.now();
      const summary = await summaryOf(await startRun(client, plan, { taskQueue }));
      return { secs: (Date.now() - t0) / 1000, summary };
    });
    const { secs, summary } = run.value;
    const each = summary.tasks[0];
    const check = await everyIndexOnce(each.results as string, n);
    const what = `map: ${n} items, batch ${BATCH}, maxParallel ${PARALLEL}, http to 127.0.0.1`;
    return [
      [
        `${what} (${summary.status}): items/s, time`,
        `${(n / secs).toFixed(0)}, ${secs.toFixed(0)}s`,
        `${bare.value.toFixed(0)} (bare batches, ${bareN} items)`,
        (n / secs / bare.value).toFixed(2),
        '',
      ],
      [`${what}: results file`, check, '', '', 'every index once'],
      [`${what}: peak RSS of the worker (MB)`, mb(run.workerPeak), mb(bare.workerPeak), '', '< 1,000'],
    ];
  } finally {
    server.close();
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

/** Reads a results file a line at a time: "every index once", or what is wrong. */
async function everyIndexOnce(path: string, n: number): Promise<string> {
  const seen = new Uint8Array(n);
  let bad = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    const index = (JSON.parse(line) as { index: number }).index;
    if (index < 0 || index >= n || seen[index]++) bad++;
  }
  const missing = seen.reduce((k, s) => k + (s === 0 ? 1 : 0), 0);
  return bad || missing ? `${missing} missing, ${bad} doubled or out of range` : 'every index once';
}
