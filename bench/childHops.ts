import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startRun, summaryOf } from '../src/client';
import type { Plan } from '../src/core';
import { dataConverter } from '../src/temporal/codec';
import { hopPartRows, hopParts, partMedian, type HopParts } from './hopParts';
import { gaps, noop, pct, ratioRow, stamps, type BenchContext, type Rows } from './support';

/**
 * One chain's hops: the gaps the activities saw, the parts from the server's event times, and the
 * CPU this process (both workers and the client) spent per hop.
 */
interface Hops {
  gaps: number[];
  parts: HopParts[];
  cpu: number[];
}

/**
 * A chain of child tasks (`plan`, its no-ops' ids `${prefix}${i}`) against a bare chain of as many
 * child workflows, the bare one both in a bare workflow bundle (bareChildren.ts, on a worker of its
 * own) and in ptq's. Each hop is split into its parts, so ptq's own share stands apart from
 * Temporal's: its workflow code (ptq vs bare), and its bundle, whose modules every new workflow
 * loads (bare in ptq's bundle vs bare). Rounds are interleaved, each in another order, and their hops pooled: one chain of
 * 50 moves by several ms between runs on a shared machine. Returns ptq's gaps for the rows against
 * a bare activity chain.
 */
export async function childHops(
  { client, address, taskQueue, quick }: BenchContext,
  plan: Plan,
  prefix: string,
): Promise<{ rows: Rows; gaps: number[] }> {
  const n = plan.tasks.length;
  const bareQueue = `bench-bare-children-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address });
  const bareWorker = await Worker.create({
    connection,
    taskQueue: bareQueue,
    workflowsPath: require.resolve('./bareChildren'),
    dataConverter,
    activities: { noop },
    maxConcurrentActivityTaskExecutions: 500,
  });
  const hops = async (chain: () => Promise<string>, ids: string): Promise<Hops> => {
    stamps.clear();
    const before = process.cpuUsage();
    const workflowId = await chain();
    const { user, system } = process.cpuUsage(before);
    const cpu = [(user + system) / 1000 / n];
    return { gaps: gaps(n, ids), parts: await hopParts(client, workflowId), cpu };
  };
  const bareChain = (queue: string) =>
    hops(async () => {
      const workflowId = `child-chain-${randomUUID()}`;
      await client.workflow.execute('bareChildChain', { taskQueue: queue, workflowId, args: [n] });
      return workflowId;
    }, 'b');
  const ptqChain = () =>
    hops(async () => {
      const handle = await startRun(client, plan, { taskQueue });
      await summaryOf(handle);
      return handle.workflowId;
    }, prefix);
  const runs = { ptq: [] as Hops[], bare: [] as Hops[], inPtq: [] as Hops[] };
  try {
    await bareWorker.runUntil(async () => {
      const chains = [
        async () => runs.bare.push(await bareChain(bareQueue)),
        async () => runs.inPtq.push(await bareChain(taskQueue)),
        async () => runs.ptq.push(await ptqChain()),
      ];
      // Each round starts with another one: the load of the others on the machine drifts.
      for (let r = 0; r < (quick ? 1 : 3); r++) for (let k = 0; k < 3; k++) await chains[(r + k) % 3]();
    });
  } finally {
    await connection.close();
  }
  const [ptq, bare, inPtq] = [runs.ptq, runs.bare, runs.inPtq].map(pooled);
  const first = (hops: Hops) => partMedian(hops.parts, 'childFirstTask');
  return {
    gaps: ptq.gaps,
    rows: [
      ratioRow(
        `per-hop latency p50, chain of ${n}, child vs bare child chain (ms)`,
        pct(ptq.gaps, 50),
        pct(bare.gaps, 50),
        '',
        0,
      ),
      ratioRow(
        `per-hop latency p50, chain of ${n}, bare child chain: in ptq's workflow bundle vs a bare one (ms)`,
        pct(inPtq.gaps, 50),
        pct(bare.gaps, 50),
        '',
        0,
      ),
      ratioRow(
        `CPU per hop of this process (workers and client), child vs bare child chain (ms)`,
        median(ptq.cpu),
        median(bare.cpu),
      ),
      ratioRow(
        `CPU per hop, bare child chain: in ptq's workflow bundle vs a bare one (ms)`,
        median(inPtq.cpu),
        median(bare.cpu),
      ),
      ...hopPartRows(ptq.parts, bare.parts),
      ratioRow(
        "hop part, child chain, p50: a bare child's first workflow task, in ptq's bundle vs a bare one (ms)",
        first(inPtq),
        first(bare),
      ),
    ],
  };
}

/** The hops of all rounds together. */
function pooled(runs: Hops[]): Hops {
  const gaps = runs.flatMap((r) => r.gaps).sort((a, b) => a - b);
  return { gaps, parts: runs.flatMap((r) => r.parts), cpu: runs.flatMap((r) => r.cpu) };
}

/** The middle round's. */
function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}
