import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { finishResults, type FinishedResults } from '../src/activities/map/results';
import { mapFiles } from '../src/activities/map/mapFiles';
import { connectClient, startRun, summaryOf } from '../src/client';
import { mapProgressQuery, taskWorkflowId } from '../src/shared';
import { plan, runId } from './helpers';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * A map of many items with `batch`, on the real server with `ptq worker` processes: every index
 * reaches the results file exactly once, a kill -9 of the worker mid-run included, and the worker
 * stays under 1 GB. The test runs 100,000 items (a million takes too long for CI on two shared
 * cores); `npm run bench -- --scale` runs the million.
 */
jest.setTimeout(900_000);

const ITEMS = 100_000;

/** The most the process ever had resident (MB), kept by the kernel: no sampling that could miss a peak. */
function peakRssMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** The item indexes of a results file, in file order. */
function indexesOf(path: string): number[] {
  const out: number[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n'))
    if (line) out.push((JSON.parse(line) as { index: number }).index);
  return out;
}

describe('a map of many items in batches', () => {
  let server: Server;
  let base: string;
  /** Requests the server answered, per item. */
  const seen = new Uint8Array(ITEMS);
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const n = Number(/\/i\/(\d+)/.exec(req.url ?? '')?.[1]);
      if (n >= 0 && n < ITEMS) seen[n] = Math.min(255, seen[n] + 1);
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"n":${n}}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  afterEach(() => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  });

  it(`${ITEMS.toLocaleString('en-US')} items with batch 200 against a local server, a kill -9 of the worker mid-run: every index once in the results, worker under 1 GB`, async () => {
    const queue = `million-${randomUUID()}`;
    const worker = async () => {
      const w = await startWorkerProcess(queue);
      workers.push(w);
      return w;
    };
    const a = await worker();
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const p = plan({
      maxConcurrency: 1_000,
      params: { base: { default: base } },
      defaults: { heartbeatTimeout: '3s', retry: { maximumAttempts: 10, initialInterval: '200ms' } },
      tasks: [
        {
          id: 'each',
          output: 'json',
          // maxParallel counts items: 1,000 is 5 batches of 200 at once.
          map: { items: { range: [0, ITEMS] }, maxParallel: 1_000, batch: 200 },
          run: { type: 'http', url: '{{params.base}}/i/{{item}}', expectStatus: [200] },
        },
      ],
    });
    const handle = await startRun(client, p, { id: runId('million'), taskQueue: queue });
    const map = client.workflow.getHandle(taskWorkflowId(handle.workflowId, 'each'));
    const done = async () => (await map.query(mapProgressQuery).catch(() => undefined))?.done ?? 0;
    let progress = 0;
    await waitFor(async () => (progress = await done()) >= ITEMS * 0.3 || undefined, 600_000);
    const peakBeforeKill = peakRssMb(a.child.pid as number);
    a.child.kill('SIGKILL');
    await a.exited;
    // Batches were running: some of their items reached the server and will be asked again.
    const b = await worker();
    const summary = await summaryOf(handle);
    const peakAfter = peakRssMb(b.child.pid as number);
    expect(progress).toBeLessThan(ITEMS);
    expect(summary.status).toBe('succeeded');
    const each = summary.tasks.find((t) => t.id === 'each');
    expect(each?.output?.split('\n')[0]).toBe(`${ITEMS} items: ${ITEMS} succeeded, 0 failed`);
    const indexes = indexesOf(each?.results as string);
    expect(indexes).toHaveLength(ITEMS);
    expect(indexes.every((n, i) => n === i)).toBe(true);
    expect(seen.every((count) => count >= 1)).toBe(true);
    expect(Math.max(peakBeforeKill, peakAfter)).toBeLessThan(1024);
    await client.connection.close();
  });

  it('joins result batches in buckets: every index once, in order, however the batches were dealt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-finish-'));
    mkdirSync(join(dir, 'batches'));
    // 40,000 results of about 1 KB each: 40 MB of batches, more than one bucket; items out of order across batches.
    const total = 40_000;
    const order = Array.from({ length: total }, (_, i) => (i * 7_919) % total);
    const pad = 'x'.repeat(1_000);
    for (let seq = 0; seq * 500 < total; seq++) {
      const lines = order.slice(seq * 500, seq * 500 + 500).map((index) => {
        const result = { index, item: index, durationMs: 1, ok: true, output: pad, json: null, attempts: 1 };
        return `${JSON.stringify(result)}\n`;
      });
      writeFileSync(mapFiles.batch(dir, seq), lines.join(''));
    }
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const big: FinishedResults = await env.run(finishResults, {
      dir,
      batches: total / 500,
      jsonLimit: 1_000_000,
      total,
    });
    expect(indexesOf(big.path)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(big.json).toBeUndefined(); // 40 MB of results are not handed to dependents inline

    const few = mkdtempSync(join(tmpdir(), 'ptq-finish-'));
    mkdirSync(join(few, 'batches'));
    writeFileSync(
      mapFiles.batch(few, 0),
      ['{"index":2,"item":"c","ok":true}', '{"index":0,"item":"a","ok":true}', ''].join('\n'),
    );
    writeFileSync(mapFiles.batch(few, 1), '{"ok":false,"index":1,"item":"b","error":"no"}\n');
    const small: FinishedResults = await env.run(finishResults, { dir: few, batches: 2, jsonLimit: 10_000, total: 3 });
    expect(indexesOf(small.path)).toEqual([0, 1, 2]);
    expect((small.json as Array<{ item: string }>).map((r) => r.item)).toEqual(['a', 'b', 'c']);
  });
});
