/**
 * ptq benchmarks, each side by side with a baseline in the same run on a real dev server:
 *   1. throughput: N no-op tasks at M, ptq (child and inline tasks) vs a bare activity fan-out;
 *   2. per-hop latency on a chain: predecessor done -> successor started, vs a bare activity chain;
 *   3. schedule quality on random DAGs: makespan / lower bound for critical-path, fifo, levels;
 *   4. cancellation: cancel -> every running process gone, vs bare activities cancelled.
 * Usage: npm run bench [-- --quick | --scale | --only throughput|hops|quality|cancellation]
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { MAX_TASKS, Plan, simulate, POLICIES, type Execution, type Policy } from '../src/core';
import { startRun } from '../src/client';
import { dataConverter } from '../src/codec';
import { startDevServer } from '../src/devServer';
import { createActivities } from '../src/activities';
import { randomDag } from './dags';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

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
  const client = new Client({ connection, dataConverter });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    dataConverter,
    activities: createActivities({ userActivities: { noop } }),
    maxConcurrentActivityTaskExecutions: 500,
    maxHeartbeatThrottleInterval: '1s',
  });
  const rows: string[][] = [];
  try {
    await worker.runUntil(async () => {
      if (process.argv.includes('--scale')) return void rows.push(...(await scale(client, taskQueue)));
      const suites = { throughput, hops, quality, cancellation };
      for (const [name, suite] of Object.entries(suites))
        if (!only || only === name) rows.push(...(await suite(client, taskQueue)));
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
  const tasks = Array.from({ length: n }, (_, i) => noopTask(`t${i}`));
  const timed = async (run: () => Promise<unknown>) => {
    const t0 = Date.now();
    await run();
    return n / ((Date.now() - t0) / 1000);
  };
  const ptq = (execution: Execution) => async () => {
    const plan = Plan.parse({ name: `throughput-${execution}`, maxConcurrency: m, defaults: { execution }, tasks });
    const summary = await (await startRun(client, plan, { taskQueue })).result();
    if (summary.status !== 'succeeded') throw new Error(`throughput run ${summary.status}`);
  };
  const bare = (workflow: string) => () =>
    client.workflow.execute(workflow, { taskQueue, workflowId: `${workflow}-${randomUUID()}`, args: [n, m] });
  const child = await timed(ptq('child'));
  const inline = await timed(ptq('inline'));
  const bareActivities = await timed(bare('bareFanOut'));
  const bareChildren = await timed(bare('bareChildFanOut'));
  const row = (what: string, value: number, base: number, target = '') => [
    what,
    value.toFixed(1),
    base.toFixed(1),
    (value / base).toFixed(2),
    target,
  ];
  return [
    row(`throughput, ${n} no-op tasks, M=${m}, inline (tasks/s)`, inline, bareActivities, '>= 0.5x'),
    row(`throughput, ${n} no-op tasks, M=${m}, child per task (tasks/s)`, child, bareActivities),
    row('throughput, child per task vs bare child per item', child, bareChildren),
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
  // Real runs on the dev server: one DAG, sleep tasks, every policy; critical-path also inline.
  const dag = randomDag(1, quick ? 60 : 200, m);
  const real: Record<string, number> = {};
  const runs: [Policy, Execution][] = [
    ...POLICIES.map((p): [Policy, Execution] => [p, 'child']),
    ['critical-path', 'inline'],
  ];
  for (const [policy, execution] of runs) {
    const plan = { ...dag, defaults: { ...dag.defaults, execution } };
    const summary = await (await startRun(client, plan, { taskQueue, policy })).result();
    const lb = simulate(dag, policy, m).lowerBoundMs;
    const sleeps = dag.tasks.reduce((sum, t) => sum + (t.estimate ?? 0), 0);
    const overhead = (summary.workMs - sleeps) / dag.tasks.length;
    real[`${policy}/${execution}`] = summary.makespanMs;
    rows.push([
      `real makespan/LB, 1 DAG x ${dag.tasks.length} sleeps, M=${m}: ${policy}, ${execution}`,
      (summary.makespanMs / lb).toFixed(3),
      `${(summary.makespanMs / 1000).toFixed(1)}s, +${overhead.toFixed(0)} ms/task`,
      '',
      policy === 'critical-path' ? '<= 1.10' : '',
    ]);
  }
  rows.push([
    'real: critical-path shorter than levels by',
    `${((1 - real['critical-path/child'] / real['levels/child']) * 100).toFixed(1)}%`,
    '',
    '',
    '>= 15%',
  ]);
  return rows;
}

/**
 * Time from cancel to every running process gone: M shell tasks each run `sleep 600`, then the run
 * is cancelled. Baseline: the same shell steps as bare activities of one workflow, cancelled.
 */
async function cancellation(client: Client, taskQueue: string): Promise<string[][]> {
  const m = 20;
  const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-cancel-'));
  const steps = (tag: string) =>
    Array.from({ length: m }, (_, i) => ({
      type: 'shell' as const,
      command: ['sh', '-c', `echo $$ > ${join(dir, `${tag}-${i}`)}; exec sleep 600`],
    }));
  const timeToStop = async (tag: string, start: () => Promise<WorkflowHandle>) => {
    const handle = await start();
    const pids = await Promise.all(steps(tag).map((_, i) => pidIn(join(dir, `${tag}-${i}`))));
    const t0 = Date.now();
    await handle.cancel();
    while (pids.some(alive)) await new Promise((r) => setTimeout(r, 5));
    const stopped = Date.now() - t0;
    await handle.result().catch(() => undefined);
    return { stopped, ended: Date.now() - t0 };
  };
  const ptq = (execution: Execution) => () => {
    const tasks = steps(execution).map((run, i) => ({ id: `s${i}`, run }));
    return startRun(client, Plan.parse({ name: 'cancel', maxConcurrency: m, defaults: { execution }, tasks }), {
      taskQueue,
    });
  };
  const bare = await timeToStop('bare', () =>
    client.workflow.start('bareShellFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [steps('bare')] }),
  );
  const rows: string[][] = [];
  for (const execution of ['child', 'inline'] as const) {
    const r = await timeToStop(execution, ptq(execution));
    rows.push(
      [
        `cancel -> all ${m} processes gone, ${execution} (ms)`,
        String(r.stopped),
        String(bare.stopped),
        (r.stopped / bare.stopped).toFixed(2),
        '',
      ],
      [
        `cancel -> run closed with its summary, ${execution} (ms)`,
        String(r.ended),
        String(bare.ended),
        (r.ended / bare.ended).toFixed(2),
        '',
      ],
    );
  }
  return rows;
}

async function pidIn(file: string): Promise<number> {
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (text) return Number(text);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Big plans as fan-outs with fan-in: they must cross many continue-as-new boundaries, carrying
 * their (gzipped) plan and state. 10,000 tasks with a child each, and the biggest plan allowed inline.
 */
async function scale(client: Client, taskQueue: string): Promise<string[][]> {
  const rows: string[][] = [];
  for (const [n, execution] of [
    [10_000, 'child'],
    [MAX_TASKS, 'inline'],
  ] as const) {
    const tasks = Array.from({ length: n }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
    const plan = Plan.parse({ name: `scale-${execution}`, maxConcurrency: 200, defaults: { execution }, tasks });
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
    const t0 = Date.now();
    const handle = await startRun(client, plan, { taskQueue });
    const summary = await handle.result();
    const secs = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    let runs = 0;
    let maxEvents = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      runs++;
      maxEvents = Math.max(maxEvents, wf.historyLength);
    }
    const what = `scale: ${n} tasks, ${execution}, M=200`;
    rows.push(
      [
        `${what} (${summary.status}, ${summary.counts.succeeded} succeeded)`,
        `${secs.toFixed(0)}s`,
        `${(n / secs).toFixed(1)} tasks/s`,
        '',
        '',
      ],
      [`${what}: orchestrator runs, most events in one`, `${runs}, ${maxEvents}`, '', '', 'events < 51,200'],
      [`${what}: peak RSS of worker + client (MB)`, (peakRss / 1e6).toFixed(0), '', '', 'bounded'],
    );
  }
  return rows;
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
