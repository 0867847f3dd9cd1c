import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { connectClient, startRun, summaryOf } from '../src/client';
import { cancelRun, setMaxParallel } from '../src/client/control';
import type { ItemResult, RunSummary } from '../src/core';
import { mapProgressQuery } from '../src/shared';
import { plan, runId } from './helpers';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

jest.setTimeout(300_000);

/**
 * A server that holds every request: `/h/N` answers after `holdMs`, or at once when N is in
 * `quick` and `quickAfter` requests are open. It counts requests per item and those open at once.
 * With `minPeak`, no request is answered before that many were open at once: on a machine too
 * busy to start them all within `holdMs`, the test still measures how many a map holds at once.
 */
class HoldServer {
  holdMs = 20_000;
  minPeak = 0;
  quick = new Set<number>();
  quickAfter = 0;
  open = 0;
  peak = 0;
  /** When `open` last fell to 0. */
  drainedAt = 0;
  /** When a quick item was answered. */
  answeredAt = 0;
  readonly seen = new Map<number, number>();
  private readonly held = new Set<() => void>();
  private readonly deferred: Array<() => void> = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const n = Number(/\/h\/(\d+)/.exec(req.url ?? '')?.[1]);
      this.seen.set(n, (this.seen.get(n) ?? 0) + 1);
      this.open++;
      this.peak = Math.max(this.peak, this.open);
      const answer = () => {
        this.held.delete(answer);
        clearTimeout(timer);
        if (!res.writableEnded && !res.destroyed) res.writeHead(200).end(`{"n":${n}}`);
      };
      const timer = setTimeout(() => (this.peak >= this.minPeak ? answer() : this.deferred.push(answer)), this.holdMs);
      this.held.add(answer);
      if (this.peak >= this.minPeak) for (const late of this.deferred.splice(0)) late();
      res.on('close', () => {
        this.held.delete(answer);
        clearTimeout(timer);
        if (--this.open === 0) this.drainedAt = Date.now();
      });
      if (this.quick.has(n))
        void waitFor(() => this.open >= this.quickAfter || undefined, 120_000).then(() => {
          this.answeredAt = Date.now();
          answer();
        });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers every held request now, and holds later ones `holdMs`. */
  releaseAll(holdMs: number): void {
    this.holdMs = holdMs;
    for (const answer of [...this.held]) answer();
  }

  reset(holdMs: number, minPeak = 0): void {
    this.holdMs = holdMs;
    this.minPeak = minPeak;
    this.deferred.splice(0);
    this.quick.clear();
    this.open = 0;
    this.peak = 0;
    this.drainedAt = 0;
    this.answeredAt = 0;
    this.seen.clear();
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** Resident memory of a process, in MB. */
function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 1024);
}

/** Child processes of a process (a step's program would be one). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A run of one map task over `n` items, each a GET of `/h/INDEX`. */
function mapPlan(base: string, n: number, maxParallel: number, map: Record<string, unknown> = {}, defaults = {}) {
  return plan({
    maxConcurrency: 10_000,
    defaults,
    params: { base: { default: base } },
    tasks: [
      {
        id: 'each',
        map: { items: { range: [0, n] }, maxParallel, ...map },
        retry: { maximumAttempts: 3, initialInterval: '200ms' },
        run: { type: 'http', url: '{{params.base}}/h/{{item}}' },
      },
    ],
  });
}

const taskOf = (s: RunSummary, id: string) => s.tasks.find((t) => t.id === id);

function readResults(path: string): ItemResult[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ItemResult);
}

/** Workflow ids of the shards a map started, as the server lists them. */
async function shardsOf(client: Client, mapId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${mapId}/s'` }))
    ids.push(wf.workflowId);
  return [...new Set(ids)].sort();
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('sharded maps: thousands of items in flight', () => {
  const server = new HoldServer();
  let base: string;
  let worker: WorkerProcess;
  let client: Client;
  const queue = `shards-${runId('q')}`;

  beforeAll(async () => {
    base = await server.listen();
    worker = await startWorkerProcess(queue, [], { PTQ_HTTP_ALLOW_HOSTS: '127.0.0.1' });
    client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    worker.child.kill('SIGKILL');
    server.close();
    await client.connection.close();
  });

  it('runs 3,000 at once: the server sees 2,700+ open, every item ends once, in 30 shards of 100', async () => {
    server.reset(20_000, 2700);
    const id = runId('wide');
    const handle = await startRun(client, mapPlan(base, 3000, 3000), { id, taskQueue: queue });
    let rss = 0;
    await waitFor(() => {
      rss = Math.max(rss, rssMb(worker.child.pid as number));
      return server.peak >= 2700 || undefined;
    }, 180_000);
    rss = Math.max(rss, rssMb(worker.child.pid as number));
    const summary = await summaryOf(handle);
    process.stderr.write(`3,000 in flight: peak open ${server.peak}, worker RSS ${rss} MB\n`);
    expect(summary.status).toBe('succeeded');
    expect(server.peak).toBeGreaterThanOrEqual(2700);
    expect(taskOf(summary, 'each')?.items).toEqual({
      total: 3000,
      succeeded: 3000,
      failed: 0,
      cancelled: 0,
      notStarted: 0,
    });
    // Nothing lost or doubled: the server saw each item once, and the results file holds each once.
    expect([...server.seen.keys()].sort((a, b) => a - b)).toEqual(range(3000));
    expect([...server.seen.values()].every((c) => c === 1)).toBe(true);
    const results = readResults(taskOf(summary, 'each')?.results as string);
    expect(results.map((r) => r.index)).toEqual(range(3000));
    expect(await shardsOf(client, `${id}/each`)).toHaveLength(30);
  });

  it('a cancel stops all 3,000: every connection closes and no step is left', async () => {
    server.reset(600_000);
    const id = runId('wide-cancel');
    const handle = await startRun(client, mapPlan(base, 3000, 3000), { id, taskQueue: queue });
    await waitFor(() => server.open >= 2700 || undefined, 180_000);
    const cancelledAt = Date.now();
    await cancelRun(client, id);
    await waitFor(() => server.open === 0 || undefined, 60_000);
    process.stderr.write(`cancel of 3,000: all connections closed in ${server.drainedAt - cancelledAt} ms\n`);
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('cancelled');
    expect(taskOf(summary, 'each')?.status).toBe('cancelled');
    const progress = await client.workflow.getHandle(`${id}/each`).query(mapProgressQuery);
    expect(progress).toMatchObject({ succeeded: 0, failed: 0, running: 0 });
    expect(progress.cancelled + progress.notStarted).toBe(3000);
    expect(childrenOf(worker.child.pid as number)).toEqual([]);
    // No item was retried: a cancelled step is not run again.
    expect([...server.seen.values()].every((c) => c === 1)).toBe(true);
  });
});

/** Shards of 20 (`shardSize`): the same code paths as shards of 100, at a size any machine runs quickly. */
describe('sharded maps: until, set-concurrency, cancel and kill -9 across small shards', () => {
  const server = new HoldServer();
  let base: string;
  const workers: WorkerProcess[] = [];
  let client: Client;
  const queue = `shards-small-${runId('q')}`;
  const env = { PTQ_HTTP_ALLOW_HOSTS: '127.0.0.1' };
  const shardSize = 20;

  beforeAll(async () => {
    base = await server.listen();
    workers.push(await startWorkerProcess(queue, [], env));
    client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    server.close();
    await client.connection.close();
  });

  it('a map above 500 in flight runs in shards of 100 (the default size); every item ends once', async () => {
    server.reset(2_000);
    const id = runId('default-size');
    const summary = await summaryOf(await startRun(client, mapPlan(base, 600, 600), { id, taskQueue: queue }));
    expect(summary.status).toBe('succeeded');
    expect(taskOf(summary, 'each')?.items?.succeeded).toBe(600);
    expect(await shardsOf(client, `${id}/each`)).toEqual([0, 1, 2, 3, 4, 5].map((k) => `${id}/each/s${k}`));
    expect([...server.seen.keys()].sort((a, b) => a - b)).toEqual(range(600));
    expect([...server.seen.values()].every((c) => c === 1)).toBe(true);
    const results = readResults(taskOf(summary, 'each')?.results as string);
    expect(results.map((r) => r.index)).toEqual(range(600));
  });

  it('until stops the items of every shard', async () => {
    server.reset(600_000);
    server.quick.add(45);
    server.quickAfter = 60;
    const id = runId('until');
    const p = mapPlan(base, 200, 60, { until: 'last.ok', onStop: 'cancel' });
    const summary = await summaryOf(await startRun(client, p, { id, taskQueue: queue, shardSize }));
    await waitFor(() => server.open === 0 || undefined, 60_000);
    process.stderr.write(
      `until over 3 shards: all items stopped ${server.drainedAt - server.answeredAt} ms after the answer\n`,
    );
    expect(summary.status).toBe('succeeded');
    const each = taskOf(summary, 'each');
    expect(each?.stop).toMatch(/^until condition met when 1 of 200 items had ended/);
    expect(each?.items).toEqual({ total: 200, succeeded: 1, failed: 0, cancelled: 59, notStarted: 140 });
    expect(await shardsOf(client, `${id}/each`)).toEqual([0, 1, 2].map((k) => `${id}/each/s${k}`));
    expect(server.seen.size).toBe(60);
    expect([...server.seen.values()].every((c) => c === 1)).toBe(true);
  });

  it('set-concurrency --task spreads a raise over new shards; a cut holds them to the new cap', async () => {
    server.reset(600_000);
    const id = runId('spread');
    const handle = await startRun(client, mapPlan(base, 240, 40), { id, taskQueue: queue, shardSize });
    await waitFor(() => server.open >= 40 || undefined, 120_000);
    expect(await shardsOf(client, `${id}/each`)).toEqual([`${id}/each/s0`, `${id}/each/s1`]);
    expect(await setMaxParallel(client, id, 'each', 80)).toBe(80);
    await waitFor(() => server.open >= 80 || undefined, 120_000);
    expect(await shardsOf(client, `${id}/each`)).toEqual([0, 1, 2, 3].map((k) => `${id}/each/s${k}`));
    await expect(setMaxParallel(client, id, 'each', 10_001)).rejects.toThrow(/1 to 10000/);
    expect(await setMaxParallel(client, id, 'each', 10)).toBe(10);
    // The 80 held end now; the rest are held 1 s each, and at most 10 of them run at once.
    server.releaseAll(1_000);
    await waitFor(() => server.open < 10 || undefined, 60_000);
    server.peak = server.open;
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('succeeded');
    expect(server.peak).toBeLessThanOrEqual(10);
    expect(server.peak).toBeGreaterThanOrEqual(5);
    expect(taskOf(summary, 'each')?.items?.succeeded).toBe(240);
    expect(server.seen.size).toBe(240);
    expect([...server.seen.values()].every((c) => c === 1)).toBe(true);
  });

  it('a cancel stops the items of every shard', async () => {
    server.reset(600_000);
    const id = runId('cancel');
    const handle = await startRun(client, mapPlan(base, 200, 60), { id, taskQueue: queue, shardSize });
    await waitFor(() => server.open >= 60 || undefined, 120_000);
    const cancelledAt = Date.now();
    await cancelRun(client, id);
    await waitFor(() => server.open === 0 || undefined, 60_000);
    process.stderr.write(`cancel over 3 shards: all connections closed in ${server.drainedAt - cancelledAt} ms\n`);
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('cancelled');
    expect(taskOf(summary, 'each')?.status).toBe('cancelled');
    const progress = await client.workflow.getHandle(`${id}/each`).query(mapProgressQuery);
    expect(progress).toMatchObject({ succeeded: 0, failed: 0, cancelled: 60, running: 0, notStarted: 140 });
    expect([...server.seen.values()].every((c) => c === 1)).toBe(true);
    expect(childrenOf(workers[0].child.pid as number)).toEqual([]);
  });

  it('kill -9 of the worker mid-map: every item ends once in the results', async () => {
    server.reset(3_000);
    const id = runId('kill');
    const p = mapPlan(base, 200, 60, {}, { heartbeatTimeout: '2s' });
    const handle = await startRun(client, p, { id, taskQueue: queue, shardSize });
    await waitFor(() => (server.open >= 60 && server.seen.size >= 100) || undefined, 120_000);
    workers[0].child.kill('SIGKILL');
    workers.push(await startWorkerProcess(queue, [], env));
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('succeeded');
    const each = taskOf(summary, 'each');
    expect(each?.items).toEqual({ total: 200, succeeded: 200, failed: 0, cancelled: 0, notStarted: 0 });
    const results = readResults(each?.results as string);
    expect(results.map((r) => r.index)).toEqual(range(200));
    expect(results.every((r) => r.ok)).toBe(true);
    expect([...server.seen.keys()].sort((a, b) => a - b)).toEqual(range(200));
  });
});
