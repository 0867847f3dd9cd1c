import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { cancelRun, startRun, summaryOf } from '../src/client';
import { createActivities } from '../src/activities';
import { Plan, type Fairness } from '../src/core';
import { mapProgressQuery, taskWorkflowId } from '../src/shared';
import { dataConverter } from '../src/temporal/codec';
import { PRELOAD_MODULES } from '../src/temporal/workflowBundle';
import { jainIndex, startLoadServer, throughputOf, type LoadServer } from '../test/support/loadServer';
import { ratioRow, type BenchContext, type Rows } from './support';

/** Activity slots of the bench's small worker: fewer than the runs want, so they compete. */
const SLOTS = 20;

/** A run of one map of `items` GETs of `base/TAG/N`. */
const fetchPlan = (base: string, tag: string, items: number, maxParallel: number | 'auto', fairness?: Fairness) =>
  Plan.parse({
    name: tag,
    maxConcurrency: 200,
    ...(fairness ? { fairness } : {}),
    tasks: [
      {
        id: 'fetch',
        retry: { maximumAttempts: 1 },
        map: { items: { range: [0, items] }, maxParallel },
        run: { type: 'http', url: `${base}/${tag}/{{item}}` },
      },
    ],
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fairness and `maxParallel: auto`, side by side with their baselines, on a worker of its own with
 * 20 activity slots and a local HTTP service:
 *   - Jain's fairness index of the requests served to 3 runs at once (each a map of 100 in flight),
 *     each run its own fairness key (ptq's default) vs all sharing one key (plain FIFO);
 *   - two runs weighted 2:1, the share they got;
 *   - a 40-item run started behind a 2,000-item run: its time vs alone, per key vs one shared key;
 *   - `maxParallel: auto` vs fixed limits against a service whose latency triples above 20 requests;
 *   - `maxConcurrency: auto` vs fixed M against the same service, with the GETs as a plan's tasks.
 */
export async function fairness({ client, address }: BenchContext): Promise<Rows> {
  process.env.PTQ_HTTP_ALLOW_HOSTS = '127.0.0.1';
  const connection = await NativeConnection.connect({ address });
  const taskQueue = `bench-fair-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    bundlerOptions: { preloadModules: PRELOAD_MODULES },
    dataConverter,
    activities: createActivities({}),
    maxConcurrentActivityTaskExecutions: SLOTS,
  });
  const flat = await startLoadServer(() => 200);
  const knee = await startLoadServer((inFlight) => (inFlight <= 20 ? 500 : 1500));
  try {
    return await worker.runUntil(async () => [
      ...(await shares(client, taskQueue, flat)),
      ...(await behindBigRun(client, taskQueue, flat)),
      ...(await autoVsFixed(client, taskQueue, knee)),
      ...(await autoMVsFixed(client, taskQueue, knee)),
    ]);
  } finally {
    await flat.close();
    await knee.close();
    await connection.close();
  }
}

/** Runs maps side by side for a while, then cancels them; the requests each got in the window. */
async function served(
  client: Client,
  taskQueue: string,
  server: LoadServer,
  runs: Array<{ tag: string; fairness?: Fairness }>,
  windowMs: number,
): Promise<number[]> {
  const ids = runs.map((r) => `${r.tag}-${randomUUID().slice(0, 8)}`);
  for (const [k, r] of runs.entries())
    await startRun(client, fetchPlan(server.base, ids[k], 100_000, 100, r.fairness), { id: ids[k], taskQueue });
  // The window opens once every run has its 100 items in flight (running or queued for a slot).
  for (const id of ids)
    for (let running = 0; running < 100; await sleep(200)) {
      const map = client.workflow.getHandle(taskWorkflowId(id, 'fetch'));
      running = (await map.query(mapProgressQuery).catch(() => undefined))?.running ?? 0;
    }
  const from = Date.now();
  await sleep(windowMs);
  const to = Date.now();
  for (const id of ids) await cancelRun(client, id);
  return ids.map(
    (id) => server.served.filter((s) => s.path.startsWith(`/${id}/`) && s.start >= from && s.start < to).length,
  );
}

async function shares(client: Client, taskQueue: string, server: LoadServer): Promise<Rows> {
  const own = await served(client, taskQueue, server, [{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }], 15_000);
  const one = { key: 'shared' };
  const fifo = await served(
    client,
    taskQueue,
    server,
    [
      { tag: 'a', fairness: one },
      { tag: 'b', fairness: one },
      { tag: 'c', fairness: one },
    ],
    15_000,
  );
  const weighted = await served(
    client,
    taskQueue,
    server,
    [
      { tag: 'heavy', fairness: { weight: 2 } },
      { tag: 'light', fairness: { weight: 1 } },
    ],
    15_000,
  );
  return [
    ratioRow(
      `fairness: Jain's index, 3 runs x 100 in flight on ${SLOTS} slots (served ${own.join('/')} vs one key ${fifo.join('/')})`,
      jainIndex(own),
      jainIndex(fifo),
      '>= 0.9',
      3,
    ),
    ratioRow(
      `fairness: share of runs weighted 2:1 (served ${weighted.join('/')})`,
      weighted[0] / Math.max(1, weighted[1]),
      2,
      '~2',
      2,
    ),
  ];
}

/** A 40-item run behind a 2,000-item run of 200 in flight: its time vs alone, per-run keys vs one key. */
async function behindBigRun(client: Client, taskQueue: string, server: LoadServer): Promise<Rows> {
  const small = async (fairness?: Fairness) => {
    const id = `small-${randomUUID().slice(0, 8)}`;
    const t0 = Date.now();
    await summaryOf(await startRun(client, fetchPlan(server.base, id, 40, 40, fairness), { id, taskQueue }));
    return Date.now() - t0;
  };
  const behind = async (fairness?: Fairness) => {
    const big = `big-${randomUUID().slice(0, 8)}`;
    await startRun(client, fetchPlan(server.base, big, 2_000, 200, fairness), { id: big, taskQueue });
    for (let running = 0; running < 200; await sleep(200)) {
      const map = client.workflow.getHandle(taskWorkflowId(big, 'fetch'));
      running = (await map.query(mapProgressQuery).catch(() => undefined))?.running ?? 0;
    }
    const ms = await small(fairness);
    await cancelRun(client, big);
    return ms;
  };
  const alone = await small();
  const fair = await behind();
  const fifo = await behind({ key: 'shared' });
  return [
    ratioRow('fairness: 40-item run behind a 2,000-item run, time / alone (per-run keys)', fair / alone, 1, '<= 3x', 2),
    ratioRow('fairness: the same with one shared key (FIFO), time / alone', fifo / alone, 1, '', 2),
  ];
}

/** `maxParallel: auto` vs fixed limits on a service whose latency triples above 20 requests in flight. */
async function autoVsFixed(client: Client, taskQueue: string, server: LoadServer): Promise<Rows> {
  const items = 600;
  const rate = async (maxParallel: number | 'auto') => {
    const id = `knee-${maxParallel}-${randomUUID().slice(0, 8)}`;
    const limits: number[] = [];
    const ended = startRun(client, fetchPlan(server.base, id, items, maxParallel), { id, taskQueue }).then(summaryOf);
    let over = false;
    void ended.finally(() => (over = true));
    while (!over) {
      const p = await client.workflow
        .getHandle(taskWorkflowId(id, 'fetch'))
        .query(mapProgressQuery)
        .catch(() => undefined);
      if (p && p.done >= items / 2) limits.push(p.maxParallel);
      await sleep(250);
    }
    await ended;
    const sorted = limits.sort((a, b) => a - b);
    return {
      rate: throughputOf(server.served.filter((s) => s.path.startsWith(`/${id}/`))),
      median: sorted[sorted.length >> 1],
    };
  };
  const fixed = new Map<number, number>();
  for (const n of [10, 20, 40]) fixed.set(n, (await rate(n)).rate);
  const auto = await rate('auto');
  const [bestN, best] = [...fixed.entries()].sort((a, b) => b[1] - a[1])[0];
  return [
    ...[...fixed.entries()].map(([n, r]) => ratioRow(`maxParallel ${n} vs a knee at 20 (req/s)`, r, best, '', 1)),
    ratioRow(
      `maxParallel auto vs best fixed (${bestN}) (req/s; median limit in 2nd half ${auto.median})`,
      auto.rate,
      best,
      '>= 0.8x',
      1,
    ),
  ];
}

/**
 * `maxConcurrency: auto` vs fixed M on the same service: a plan of 300 independent GETs (inline
 * tasks), compared on the later half of each run's requests by start, once auto has ramped up.
 */
async function autoMVsFixed(client: Client, taskQueue: string, server: LoadServer): Promise<Rows> {
  const n = 300;
  const rate = async (m: number | 'auto') => {
    const id = `knee-m-${m}-${randomUUID().slice(0, 8)}`;
    const tasks = Array.from({ length: n }, (_, i) => ({
      id: `get${i}`,
      retry: { maximumAttempts: 1 },
      run: { type: 'http' as const, url: `${server.base}/${id}/${i}` },
    }));
    const plan = Plan.parse({
      name: id,
      maxConcurrency: m,
      maxConcurrencyAuto: m === 'auto' ? { max: 64 } : undefined,
      tasks,
    });
    await startRun(client, plan, { id, taskQueue }).then(summaryOf);
    const requests = server.served.filter((s) => s.path.startsWith(`/${id}/`)).sort((a, b) => a.start - b.start);
    const late = requests.slice(n / 2);
    // Open in the middle of each request: alike tasks start and end in waves, so counts on arrival run 1..M.
    const openAt = (t: number) => requests.filter((s) => s.start <= t && t < s.end).length;
    const open = late.map((s) => openAt((s.start + s.end) / 2)).sort((a, b) => a - b);
    return { rate: throughputOf(late), open: open[open.length >> 1] };
  };
  const fixed = new Map<number, number>();
  for (const m of [10, 20, 40]) fixed.set(m, (await rate(m)).rate);
  const auto = await rate('auto');
  const [bestM, best] = [...fixed.entries()].sort((a, b) => b[1] - a[1])[0];
  return [
    ...[...fixed.entries()].map(([m, r]) =>
      ratioRow(`maxConcurrency ${m}, GETs as tasks, knee at 20 (req/s)`, r, best, '', 1),
    ),
    ratioRow(
      `maxConcurrency auto vs best fixed (${bestM}) (req/s, 2nd half; median open at the server ${auto.open})`,
      auto.rate,
      best,
      '>= 0.8x',
      1,
    ),
  ];
}
