import { summaryOf } from '../src/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { dataConverter } from '../src/temporal/codec';
import { startRun } from '../src/client';
import { Plan, type Execution } from '../src/core';
import { HEARTBEAT_THROTTLE } from '../src/worker';
import { PRELOAD_MODULES } from '../src/temporal/workflowBundle';
import { alive, readPid, writePid } from '../test/support/processes';
import { ratioRow, type BenchContext, type Rows } from './support';

const M = 50;
/** How long the server's CPU is sampled while M steps run. */
const CPU_WINDOW_MS = 10_000;
const CANDIDATE_THROTTLE = '200ms';

/** A percentile of samples (nearest rank). */
function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** CPU seconds a process has used, from /proc (utime + stime, in clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Time from cancel to each running process gone: M shell tasks each run `sleep 600`, then the run
 * is cancelled; several rounds, so p50 and p99 are over M x rounds processes. Baseline: the same
 * shell steps as bare activities of one workflow, cancelled: a cancel reaches each in the answer
 * to its heartbeat, which the worker lets through every HEARTBEAT_THROTTLE. ptq stops the
 * processes from the worker that runs the workflow (activities/localCancel.ts) and keeps the
 * heartbeats as they are. What each way costs is the server's CPU while M steps run: ptq against
 * the bare activities, and the way not taken, a worker at CANDIDATE_THROTTLE, against ptq.
 */
export async function cancellation({ client, taskQueue, address, serverPid, quick }: BenchContext): Promise<Rows> {
  const rounds = quick ? 2 : 4;
  const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-cancel-'));
  const steps = (tag: string) =>
    Array.from({ length: M }, (_, i) => ({
      type: 'shell' as const,
      command: ['sh', '-c', `${writePid(join(dir, `${tag}-${i}`))}; exec sleep 600`],
    }));
  /** Starts M sleeps, cancels, and returns each process's time to die and the time to the run's end. */
  const cancelRound = async (tag: string, start: () => Promise<WorkflowHandle>) => {
    const handle = await start();
    const pids = await Promise.all(steps(tag).map((_, i) => readPid(join(dir, `${tag}-${i}`))));
    const t0 = Date.now();
    await handle.cancel();
    const gone = new Map<number, number>();
    while (gone.size < pids.length) {
      for (const pid of pids) if (!gone.has(pid) && !alive(pid)) gone.set(pid, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 2));
    }
    await summaryOf(handle).catch(() => undefined);
    return { each: [...gone.values()], all: Math.max(...gone.values()), ended: Date.now() - t0 };
  };
  const ptq = (execution: Execution, queue: string, tag: string) => () =>
    startRun(
      client,
      Plan.parse({
        name: 'cancel',
        maxConcurrency: M,
        defaults: { execution },
        tasks: steps(tag).map((run, i) => ({ id: `s${i}`, run })),
      }),
      { taskQueue: queue },
    );
  const measure = async (name: string, start: (round: number) => () => Promise<WorkflowHandle>) => {
    const each: number[] = [];
    const all: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const round = await cancelRound(`${name}${r}`, start(r));
      each.push(...round.each);
      all.push(round.all);
    }
    return { p50: percentile(each, 50), p99: percentile(each, 99), worst: Math.max(...all) };
  };
  const bareRun = (tag: string) => () =>
    client.workflow.start('bareShellFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [steps(tag)] });
  const bare = await measure('bare', (r) => bareRun(`bare${r}`));
  const rows: Rows = [];
  for (const execution of ['child', 'inline'] as const) {
    const r = await measure(execution, (k) => ptq(execution, taskQueue, `${execution}${k}`));
    const what = `cancel -> process gone, ${M} running, ${execution}, ${rounds} rounds (ms)`;
    rows.push(
      ratioRow(`${what}: p50`, r.p50, bare.p50, '', 0),
      ratioRow(`${what}: p99`, r.p99, bare.p99, '<= 300 ms', 0),
      ratioRow(`cancel -> all ${M} gone, worst round, ${execution} (ms)`, r.worst, bare.worst, '', 0),
    );
  }
  if (serverPid !== undefined) rows.push(...(await heartbeatCost({ address, serverPid, taskQueue }, ptq, bareRun)));
  return rows;
}

/** The server's CPU while M steps run: ptq, the bare activities, a worker heartbeating at CANDIDATE_THROTTLE. */
async function heartbeatCost(
  { address, serverPid, taskQueue }: { address: string; serverPid: number; taskQueue: string },
  ptq: (execution: Execution, queue: string, tag: string) => () => Promise<WorkflowHandle>,
  bare: (tag: string) => () => Promise<WorkflowHandle>,
): Promise<Rows> {
  const connection = await NativeConnection.connect({ address });
  const candidateQueue = `bench-heartbeats-${randomUUID()}`;
  const candidate = await Worker.create({
    connection,
    taskQueue: candidateQueue,
    workflowsPath: require.resolve('./workflows'),
    bundlerOptions: { preloadModules: PRELOAD_MODULES },
    dataConverter,
    activities: createActivities(),
    maxConcurrentActivityTaskExecutions: 500,
    maxHeartbeatThrottleInterval: CANDIDATE_THROTTLE,
    defaultHeartbeatThrottleInterval: CANDIDATE_THROTTLE,
  });
  const load = async (start: () => Promise<WorkflowHandle>) => {
    const handle = await start();
    await new Promise((r) => setTimeout(r, 3_000)); // every step started and heartbeating
    const c0 = cpuSeconds(serverPid);
    await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
    const used = cpuSeconds(serverPid) - c0;
    await handle.cancel();
    await summaryOf(handle).catch(() => undefined);
    return (100 * used) / (CPU_WINDOW_MS / 1_000);
  };
  try {
    const base = await load(bare('cpu-bare'));
    const current = await load(ptq('inline', taskQueue, 'cpu-current'));
    const faster = await candidate.runUntil(load(ptq('inline', candidateQueue, 'cpu-candidate')));
    const what = `server CPU while ${M} steps run (% of a core)`;
    return [
      ratioRow(`${what}: ptq vs bare activities, both ${HEARTBEAT_THROTTLE} heartbeats`, current, base, '<= 1.25x', 1),
      ratioRow(`${what}: not taken, ${CANDIDATE_THROTTLE} heartbeats vs ptq`, faster, current, '', 1),
    ];
  } finally {
    await connection.close();
  }
}
