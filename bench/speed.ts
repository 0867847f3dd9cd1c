import { randomUUID } from 'node:crypto';
import { startRun, summaryOf } from '../src/client';
import { Plan, type Execution } from '../src/core';
import { childHops } from './childHops';
import { gaps, noopTask, pct, ratioRow, stamps, type BenchContext, type Rows } from './support';

/** N no-op tasks at M: ptq with child and with inline tasks vs bare activities and bare children. */
export async function throughput({ client, taskQueue, quick }: BenchContext): Promise<Rows> {
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
    const summary = await summaryOf(await startRun(client, plan, { taskQueue }));
    if (summary.status !== 'succeeded') throw new Error(`throughput run ${summary.status}`);
  };
  const bare = (workflow: string) => () =>
    client.workflow.execute(workflow, { taskQueue, workflowId: `${workflow}-${randomUUID()}`, args: [n, m] });
  const child = await timed(ptq('child'));
  const bareChildren = await timed(bare('bareChildFanOut'));
  // Two cores shared by server, worker and bench: one run of each moves by 20%. Interleaved
  // rounds, medians, and the spread of the per-round ratio.
  const rounds = quick ? 1 : 5;
  const runs = { bare: [] as number[], auto: [] as number[], inline: [] as number[], ratio: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const b = await timed(bare('bareFanOut'));
    const a = await timed(ptq('auto'));
    runs.bare.push(b);
    runs.auto.push(a);
    runs.inline.push(await timed(ptq('inline')));
    runs.ratio.push(a / b);
  }
  const bareActivities = median(runs.bare);
  const spread = `${Math.min(...runs.ratio).toFixed(2)}-${Math.max(...runs.ratio).toFixed(2)}`;
  return [
    ratioRow(
      `throughput, ${n} no-op tasks, M=${m}, default (auto) (tasks/s, median of ${rounds})`,
      median(runs.auto),
      bareActivities,
      '>= 0.9x',
    ),
    [`throughput, default (auto) vs bare, each round's ratio`, spread, '', '', ''],
    ratioRow(
      `throughput, ${n} no-op tasks, M=${m}, inline (tasks/s, median)`,
      median(runs.inline),
      bareActivities,
      '>= 0.5x',
    ),
    ratioRow(`throughput, ${n} no-op tasks, M=${m}, child per task (tasks/s)`, child, bareActivities),
    ratioRow('throughput, child per task vs bare child per item', child, bareChildren),
  ];
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/**
 * A chain of no-op tasks: predecessor done -> successor started, vs a bare activity chain; child
 * tasks also against bare child workflows, hop by hop (childHops.ts).
 */
export async function hops(ctx: BenchContext): Promise<Rows> {
  const { client, taskQueue } = ctx;
  const n = 50;
  const chain = (execution: Execution) =>
    Plan.parse({
      name: 'chain',
      maxConcurrency: 1,
      defaults: { execution },
      tasks: Array.from({ length: n }, (_, i) => noopTask(`h${i}`, i ? [`h${i - 1}`] : [])),
    });
  stamps.clear();
  await client.workflow.execute('bareChain', { taskQueue, workflowId: `chain-${randomUUID()}`, args: [n] });
  const bare = gaps(n, 'c');
  const child = await childHops(ctx, chain('child'), 'h');
  stamps.clear();
  await summaryOf(await startRun(client, chain('inline'), { taskQueue }));
  const inline = gaps(n, 'h');
  const latency = (execution: Execution, ptq: number[]) => [
    ratioRow(`per-hop latency p50, chain of ${n}, ${execution} (ms)`, pct(ptq, 50), pct(bare, 50), '<= 2x', 0),
    ratioRow(`per-hop latency p99, chain of ${n}, ${execution} (ms)`, pct(ptq, 99), pct(bare, 99), '', 0),
  ];
  return [
    ...child.rows,
    ...latency('child', child.gaps),
    ...latency('inline', inline),
    await sleepHops(client, taskQueue),
  ];
}

/**
 * What a sleep task costs over its sleep, on a chain in the default mode, vs a bare workflow that
 * sleeps as often: the floor under the quality bench's "+N ms/task" on this machine.
 */
async function sleepHops(client: BenchContext['client'], taskQueue: string): Promise<string[]> {
  const n = 30;
  const ms = 300;
  const t0 = Date.now();
  await client.workflow.execute('bareSleepChain', { taskQueue, workflowId: `sleeps-${randomUUID()}`, args: [n, ms] });
  const bare = (Date.now() - t0 - n * ms) / n;
  const plan = Plan.parse({
    name: 'sleep-chain',
    maxConcurrency: 1,
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `z${i}`,
      dependsOn: i ? [`z${i - 1}`] : [],
      run: { type: 'sleep' as const, duration: ms },
    })),
  });
  const t1 = Date.now();
  await summaryOf(await startRun(client, plan, { taskQueue }));
  const ptq = (Date.now() - t1 - n * ms) / n;
  return ratioRow(`sleep chain of ${n} x ${ms} ms, default mode: time over the sleeps per task (ms)`, ptq, bare, '', 0);
}
