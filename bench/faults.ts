import { summaryOf } from '../src/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../src/client';
import { Plan, type Execution } from '../src/core';
import { attemptAlive, daemonTask, ledgerProblems, ledgerTask, readLedger } from '../test/support/ledger';
import { waitFor } from '../test/support/processes';
import { startWorkerProcess, type WorkerProcess } from '../test/support/workers';
import { stepFaults } from './stepFaults';
import { ratioRow, type BenchContext, type Rows } from './support';

const TASKS = 16;
const M = 8;
const TICKS = 15; // about 1.5 s per task

/**
 * Recovery from faults, each next to the same run without the fault: a `ptq worker` process
 * killed with -9 at 50% (another one started at once), the same with steps that daemonize
 * (`setsid -f`), and one stopped with SIGTERM inside its shutdown grace; then the server down during
 * long steps and a kill as steps finish (stepFaults.ts). Tasks write a ledger, so the rows count what
 * really ran, not what was reported.
 */
export async function faults(ctx: BenchContext): Promise<Rows> {
  const { client, address } = ctx;
  const env = { TEMPORAL_ADDRESS: address };
  const workers: WorkerProcess[] = [];
  const worker = async (queue: string, args: string[] = []) => {
    const w = await startWorkerProcess(queue, args, env);
    workers.push(w);
    return w;
  };
  const ledgerRun = async (
    execution: Execution,
    fault?: (queue: string, ledger: string) => Promise<number>,
    task: typeof ledgerTask = ledgerTask,
  ) => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-bench-faults-')), 'ledger');
    const ids = Array.from({ length: TASKS }, (_, i) => `t${i}`);
    const plan = Plan.parse({
      maxConcurrency: M,
      defaults: { execution, heartbeatTimeout: '2s', retry: { maximumAttempts: 10, initialInterval: '100ms' } },
      tasks: ids.map((id) => task(id, ledger, TICKS)),
    });
    const queue = `bench-faults-${randomUUID()}`;
    await worker(queue, ['--shutdown-grace', '20s']);
    const t0 = Date.now();
    const handle = await startRun(client, plan, { taskQueue: queue });
    const faultAt = fault ? await fault(queue, ledger) : undefined;
    const summary = await summaryOf(handle);
    const attempts = readLedger(ledger);
    return { ms: Date.now() - t0, ok: summary.status === 'succeeded', attempts, ids, faultAt };
  };
  /** Steps that start their work as a daemon (`setsid -f`), the worker killed with -9 while they run. */
  const daemonRows = async (): Promise<Rows> => {
    let goneMs = NaN;
    const killed = await ledgerRun(
      'child',
      async (queue, ledger) => {
        await waitFor(() => readLedger(ledger).filter((a) => !a.ended && a.last > a.start).length >= M / 2, 60_000);
        workers[workers.length - 1].child.kill('SIGKILL');
        const at = Date.now();
        const daemons = readLedger(ledger).filter((a) => !a.ended);
        await waitFor(() => !daemons.some(attemptAlive), 10_000);
        goneMs = Date.now() - at;
        await worker(queue);
        return at;
      },
      daemonTask,
    );
    const problems = ledgerProblems(killed.attempts, killed.ids, killed.faultAt);
    return [
      ['kill -9, steps that daemonized (setsid -f): daemons gone after (ms)', String(goneMs), '', '', '<= 1000'],
      ['kill -9, steps that daemonized: tasks lost / ended twice / overlapping', `${problems.length}`, '', '', '0'],
    ];
  };
  const rows: Rows = [];
  try {
    for (const execution of ['child', 'inline'] as const) {
      const clean = await ledgerRun(execution);
      let reapedMs = NaN;
      const killed = await ledgerRun(execution, async (queue, ledger) => {
        const half = () => readLedger(ledger).filter((a) => a.ended).length >= TASKS / 2;
        await waitFor(() => half() && readLedger(ledger).some((a) => !a.ended), 60_000);
        workers[workers.length - 1].child.kill('SIGKILL');
        const at = Date.now();
        await new Promise((r) => setTimeout(r, 100));
        const orphans = readLedger(ledger).filter((a) => !a.ended);
        const reaped = waitFor(() => !orphans.some(attemptAlive), 10_000).then(() => {
          reapedMs = Date.now() - at;
        });
        await worker(queue);
        await reaped;
        return at;
      });
      const at = killed.faultAt as number;
      // Steps the dying worker spawned in its last moment are not retries: count from 200 ms on.
      const retried = killed.attempts.filter((a) => a.start > at + 200).map((a) => a.start - at);
      const problems = ledgerProblems(killed.attempts, killed.ids, at);
      rows.push(
        ratioRow(
          `kill -9 at 50%, ${execution}: run time with the crash vs without (s)`,
          killed.ms / 1e3,
          clean.ms / 1e3,
        ),
        [`kill -9, ${execution}: dead worker's processes gone after (ms)`, String(reapedMs), '', '', '<= 5000'],
        [
          `kill -9, ${execution}: first step retried after (ms)`,
          String(Math.min(...retried)),
          '',
          '',
          '~ heartbeat 2 s',
        ],
        [`kill -9, ${execution}: tasks lost / ended twice / overlapping`, `${problems.length}`, '', '', '0'],
      );
    }
    rows.push(...(await daemonRows()));
    const clean = await ledgerRun('child');
    let finishedInGrace = '';
    const termed = await ledgerRun('child', async (queue, ledger) => {
      await waitFor(() => readLedger(ledger).length >= M, 30_000);
      const running = readLedger(ledger).filter((a) => !a.ended);
      const w = workers[workers.length - 1];
      w.child.kill('SIGTERM');
      const at = Date.now();
      await w.exited;
      const after = readLedger(ledger);
      finishedInGrace = `${running.filter((r) => after.find((a) => a.attempt === r.attempt)?.ended).length}/${running.length}`;
      await worker(queue);
      return at;
    });
    rows.push(
      ratioRow('SIGTERM inside a 20 s grace: run time vs without (s)', termed.ms / 1e3, clean.ms / 1e3),
      ['SIGTERM: running steps that finished on the stopping worker', finishedInGrace, '', '', 'all'],
      ['SIGTERM: steps started twice', String(termed.attempts.length - TASKS), '', '', '0'],
      ...(await stepFaults(ctx)),
    );
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
  }
  return rows;
}
