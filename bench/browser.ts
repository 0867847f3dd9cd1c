import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startRun, summaryOf } from '../src/client';
import { Plan, type Step } from '../src/core';
import { BUNDLE_OPTIONS } from '../src/temporal/workflowBundle';
import { chromiumProcesses } from '../test/support/browser';
import type { BenchContext, Rows } from './support';

/**
 * The browser step's pool, in one run: pages/s of a map of browser steps on a worker with
 * PTQ_BROWSERS=1, 2 and 4, against the naive way with the same map, a shell step per item that
 * launches its own Chromium (a playwright script), at the same maxParallel. Each case runs on a
 * fresh worker process (bench/workerProcess.ts), whose resident memory is sampled with its
 * Chromium processes' (found by the worker's own TMPDIR). Pages come from a local server.
 */
const PARALLEL = 8;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** The naive item: launch Chromium, load, read the title, close. */
const NAIVE = (playwright: string) => `
const { chromium } = require(${JSON.stringify(playwright)});
(async () => {
  const browser = await chromium.launch({ executablePath: process.env.PTQ_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  const page = await browser.newPage();
  await page.goto(process.argv[2]);
  console.log(JSON.stringify({ title: await page.title() }));
  await browser.close();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

export async function browser({ client, address, quick }: BenchContext): Promise<Rows> {
  const n = quick ? 16 : 40;
  const server = createServer((req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>Page ${req.url}</title><h1>${req.url}</h1>`),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-browser-'));
  const bundle = join(dir, 'workflows.js');
  writeFileSync(
    bundle,
    (await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), ...BUNDLE_OPTIONS })).code,
  );
  const naive = join(dir, 'naive.js');
  writeFileSync(naive, NAIVE(require.resolve('playwright-core')));
  const pooled: Step = { type: 'browser', url: `${base}/{{item}}`, extract: { title: 'title' } };
  const perItem: Step = { type: 'shell', command: [process.execPath, naive, `${base}/{{item}}`] };
  const rows: Rows = [];
  try {
    const naiveRun = await onWorker(address, bundle, {}, (q) => pagesPerSecond(client, q, perItem, n));
    for (const size of [1, 2, 4]) {
      const run = await onWorker(address, bundle, { PTQ_BROWSERS: String(size) }, (q) =>
        pagesPerSecond(client, q, pooled, n),
      );
      rows.push([
        `browser: ${n} pages, maxParallel ${PARALLEL}, pool of ${size} (pages/s)`,
        run.value.toFixed(2),
        naiveRun.value.toFixed(2),
        (run.value / naiveRun.value).toFixed(2),
        size === 2 ? '> 1x' : '',
      ]);
      rows.push([
        `browser: peak RSS, pool of ${size}: worker / its Chromium processes`,
        `${mb(run.workerRss)} / ${mb(run.chromiumRss)}`,
        `${mb(naiveRun.workerRss)} / ${mb(naiveRun.chromiumRss)}`,
        '',
        '',
      ]);
    }
  } finally {
    server.close();
  }
  return rows;
}

/** Runs the map of `step` over `n` pages and returns pages per second, from start to summary. */
async function pagesPerSecond(client: BenchContext['client'], taskQueue: string, step: Step, n: number) {
  const plan = Plan.parse({
    maxConcurrency: PARALLEL,
    tasks: [{ id: 'pages', map: { items: { range: [0, n] }, maxParallel: PARALLEL }, run: step }],
  });
  const t0 = Date.now();
  const summary = await summaryOf(await startRun(client, plan, { taskQueue }));
  if (summary.status !== 'succeeded') throw new Error(`browser bench ${summary.status}: ${summary.tasks[0].output}`);
  return n / ((Date.now() - t0) / 1000);
}

/**
 * Runs `fn` on a fresh worker process with `env`; samples its RSS and its Chromium processes' every
 * 100 ms and returns the peaks (shared pages counted in each process: an upper bound).
 */
async function onWorker<T>(
  address: string,
  bundle: string,
  env: Record<string, string>,
  fn: (taskQueue: string) => Promise<T>,
): Promise<{ value: T; workerRss: number; chromiumRss: number }> {
  const taskQueue = `bench-browser-${randomUUID()}`;
  const tmp = mkdtempSync(join(tmpdir(), 'ptq-bench-worker-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'workerProcess.ts')], {
    env: {
      ...process.env,
      ...env,
      TMPDIR: tmp,
      TEMPORAL_ADDRESS: address,
      BENCH_TASK_QUEUE: taskQueue,
      BENCH_WORKFLOW_BUNDLE: bundle,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let workerRss = 0;
  let chromiumRss = 0;
  const sampler = setInterval(() => {
    workerRss = Math.max(workerRss, rss(child.pid as number));
    chromiumRss = Math.max(
      chromiumRss,
      chromiumProcesses(tmp).reduce((s, p) => s + rss(p.pid), 0),
    );
  }, 100);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      void exited.then((code) => reject(new Error(`bench worker exited (${code}) before it was ready`)));
    });
    const value = await fn(taskQueue);
    return { value, workerRss, chromiumRss };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await exited;
  }
}

/** A process's resident memory in bytes, 0 once it is gone. */
function rss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
