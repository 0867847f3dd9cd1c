/**
 * ptq benchmarks, each side by side with a baseline in the same run on a real dev server:
 *   1. throughput: N no-op tasks at M, ptq (child workflow per task) vs a bare activity fan-out;
 *   2. per-hop latency on a chain: predecessor done -> successor started, vs a bare activity chain;
 *   3. schedule quality on random DAGs: makespan / lower bound for critical-path, fifo, levels.
 * Usage: npm run bench [-- --quick | --scale]
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Plan, simulate, POLICIES, type Policy } from '../src/core';
import { startRun } from '../src/client';
import { startDevServer } from '../src/devServer';
import { createActivities } from '../src/activities';
import { randomDag } from './dags';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const quick = process.argv.includes('--quick');

interface Stamp {
  start: number;
  end: number;
}
const stamps = new Map<string, Stamp>();
const noop = async (input: unknown) => {
  const now = Date.now();
  stamps.set((input as { id: string }).id, { start: now, end: now });
  return null;
};

async function main(): Promise<void> {
  const server = await startDevServer({ headless: true, log: (l) => console.error(l) });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities({ userActivities: { noop } }),
    maxConcurrentActivityTaskExecutions: 500,
    maxHeartbeatThrottleInterval: '1s',
  });
  const rows: string[][] = [];
  try {
    await worker.runUntil(async () => {
      if (process.argv.includes('--scale')) return void rows.push(...(await scale(client, taskQueue)));
      rows.push(...(await throughput(client, taskQueue)));
      rows.push(...(await hops(client, taskQueue)));
      rows.push(...(await quality(client, taskQueue)));
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
  printTable(['benchmark', 'ptq', 'baseline', 'ptq / baseline', 'target'], rows);
}

const noopTask = (id: string, dependsOn: string[] = []) => ({
  id,
  dependsOn,
  run: { type: 'activity' as const, name: 'noop', input: { id } },
});

async function throughput(client: Client, taskQueue: string): Promise<string[][]> {
  const n = quick ? 100 : 500;
  const m = 50;
  const plan = Plan.parse({
    name: 'throughput',
    maxConcurrency: m,
    tasks: Array.from({ length: n }, (_, i) => noopTask(`t${i}`)),
  });
  let t0 = Date.now();
  const summary = await (await startRun(client, plan, { taskQueue })).result();
  const ptq = n / ((Date.now() - t0) / 1000);
  if (summary.status !== 'succeeded') throw new Error(`throughput run ${summary.status}`);
  t0 = Date.now();
  await client.workflow.execute('bareFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [n, m] });
  const bare = n / ((Date.now() - t0) / 1000);
  t0 = Date.now();
  await client.workflow.execute('bareChildFanOut', { taskQueue, workflowId: `children-${randomUUID()}`, args: [n, m] });
  const children = n / ((Date.now() - t0) / 1000);
  return [
    [
      `throughput, ${n} no-op tasks, M=${m} (tasks/s)`,
      ptq.toFixed(1),
      bare.toFixed(1),
      (ptq / bare).toFixed(2),
      '>= 0.5x',
    ],
    [
      'throughput vs one bare child workflow per item',
      ptq.toFixed(1),
      children.toFixed(1),
      (ptq / children).toFixed(2),
      '',
    ],
  ];
}

async function hops(client: Client, taskQueue: string): Promise<string[][]> {
  const n = 50;
  const plan = Plan.parse({
    name: 'chain',
    maxConcurrency: 1,
    tasks: Array.from({ length: n }, (_, i) => noopTask(`h${i}`, i ? [`h${i - 1}`] : [])),
  });
  stamps.clear();
  await (await startRun(client, plan, { taskQueue })).result();
  const ptq = gaps(n, 'h');
  await client.workflow.execute('bareChain', { taskQueue, workflowId: `chain-${randomUUID()}`, args: [n] });
  const bare = gaps(n, 'c');
  return [
    [
      `per-hop latency p50, chain of ${n} (ms)`,
      String(pct(ptq, 50)),
      String(pct(bare, 50)),
      (pct(ptq, 50) / Math.max(1, pct(bare, 50))).toFixed(2),
      '<= 100 ms',
    ],
    [
      `per-hop latency p99, chain of ${n} (ms)`,
      String(pct(ptq, 99)),
      String(pct(bare, 99)),
      (pct(ptq, 99) / Math.max(1, pct(bare, 99))).toFixed(2),
      '',
    ],
  ];
}

/** Predecessor's activity end to successor's activity start, from stamps taken on the worker. */
function gaps(n: number, prefix: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < n; i++)
    out.push((stamps.get(`${prefix}${i}`) as Stamp).start - (stamps.get(`${prefix}${i - 1}`) as Stamp).end);
  return out.sort((a, b) => a - b);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function quality(client: Client, taskQueue: string): Promise<string[][]> {
  const m = 8;
  const rows: string[][] = [];
  // Virtual time: many DAGs, pure scheduling quality.
  const seeds = Array.from({ length: quick ? 10 : 50 }, (_, i) => i + 1);
  const ratio: Record<Policy, number[]> = { 'critical-path': [], fifo: [], levels: [] };
  const vsLevels: number[] = [];
  for (const seed of seeds) {
    const dag = randomDag(seed, 200, m);
    const r = Object.fromEntries(POLICIES.map((p) => [p, simulate(dag, p, m)]));
    for (const p of POLICIES) ratio[p].push(r[p].ratio);
    vsLevels.push(1 - r['critical-path'].makespanMs / r.levels.makespanMs);
  }
  for (const p of POLICIES) {
    rows.push([
      `simulated makespan/LB, ${seeds.length} DAGs x 200, M=${m}: ${p}`,
      mean(ratio[p]).toFixed(3),
      `max ${Math.max(...ratio[p]).toFixed(3)}`,
      '',
      p === 'critical-path' ? '<= 1.10' : '',
    ]);
  }
  rows.push([
    'simulated: critical-path shorter than levels by',
    `${(mean(vsLevels) * 100).toFixed(1)}%`,
    '',
    '',
    '>= 15%',
  ]);
  // Real runs on the dev server: one DAG, sleep tasks, every policy.
  const dag = randomDag(1, quick ? 60 : 200, m);
  const real: Record<string, number> = {};
  for (const policy of POLICIES) {
    const summary = await (await startRun(client, dag, { taskQueue, policy })).result();
    const lb = simulate(dag, policy, m).lowerBoundMs;
    real[policy] = summary.makespanMs;
    rows.push([
      `real makespan/LB, 1 DAG x ${dag.tasks.length} sleeps, M=${m}: ${policy}`,
      (summary.makespanMs / lb).toFixed(3),
      `${(summary.makespanMs / 1000).toFixed(1)}s`,
      '',
      '',
    ]);
  }
  rows.push([
    'real: critical-path shorter than levels by',
    `${((1 - real['critical-path'] / real.levels) * 100).toFixed(1)}%`,
    '',
    '',
    '',
  ]);
  return rows;
}

/** The biggest plan allowed, as a fan-out with fan-in: it must cross several continue-as-new boundaries. */
async function scale(client: Client, taskQueue: string): Promise<string[][]> {
  const n = 4000;
  const tasks = Array.from({ length: n }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
  const plan = Plan.parse({ name: 'scale', maxConcurrency: 200, tasks });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  const t0 = Date.now();
  const handle = await startRun(client, plan, { taskQueue });
  const summary = await handle.result();
  clearInterval(sampler);
  let runs = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
    runs += wf.workflowId ? 1 : 0;
  const secs = (Date.now() - t0) / 1000;
  return [
    [
      `scale: ${n} tasks, M=200 (${summary.status}, ${summary.counts.succeeded} succeeded)`,
      `${secs.toFixed(0)}s`,
      `${(n / secs).toFixed(1)} tasks/s`,
      '',
      '',
    ],
    ['scale: orchestrator runs (continue-as-new generations)', String(runs), '', '', 'history < 51,200 events each'],
    ['scale: peak worker RSS (MB)', (peakRss / 1e6).toFixed(0), '', '', 'bounded'],
  ];
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

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
