import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startRun, summaryOf } from '../src/client';
import { dataConverter } from '../src/temporal/codec';
import { Plan } from '../src/core';
import { freePort, startDevServer } from '../src/temporal/devServer';
import { journalEntries, reportedSteps } from '../test/support/history';
import { ledgerProblems, ledgerTask, readLedger } from '../test/support/ledger';
import { waitFor } from '../test/support/processes';
import { startWorkerProcess, type WorkerProcess } from '../test/support/workers';
import { ratioRow, type BenchContext, type Rows } from './support';

const RETRY = { maximumAttempts: 10, initialInterval: '100ms' };
const OUTAGE_MS = 20_000;

/**
 * The two crashes that used to run a step twice, measured with the tasks' ledger: a 20 s server
 * outage while 4 steps of about 30 s run (their attempts time out on the server; the retries must
 * adopt the programs, not start them again), and a worker killed with -9 right as 8 steps finish
 * while the server is paused (the retries of finished steps must return their journaled results).
 */
export async function stepFaults({ address, serverPid }: BenchContext): Promise<Rows> {
  const workers: WorkerProcess[] = [];
  const worker = async (queue: string, at: string, env: Record<string, string> = {}) => {
    const w = await startWorkerProcess(queue, [], { TEMPORAL_ADDRESS: at, ...env });
    workers.push(w);
    return w;
  };
  try {
    return [...(await outage(worker)), ...(await killAsStepsFinish(worker, address, serverPid))];
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
  }
}

type StartWorker = (queue: string, address: string, env?: Record<string, string>) => Promise<WorkerProcess>;

async function outage(worker: StartWorker): Promise<Rows> {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-outage-'));
  const ledger = join(dir, 'ledger');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const db = join(dir, 'temporal.db');
  let server = await startDevServer({ port, db, headless: true });
  const ids = ['a', 'b', 'c', 'd'];
  const plan = Plan.parse({
    maxConcurrency: ids.length,
    defaults: { heartbeatTimeout: '2s', retry: RETRY },
    tasks: ids.map((id) => ledgerTask(id, ledger, 300)),
  });
  try {
    const queue = `bench-outage-${randomUUID()}`;
    await worker(queue, address);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, dataConverter });
    const t0 = Date.now();
    const handle = await startRun(client, plan, { taskQueue: queue });
    await waitFor(() => readLedger(ledger).length === ids.length, 60_000);
    await server.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    server = await startDevServer({ port, db, headless: true });
    const ok = (await summaryOf(handle)).status === 'succeeded';
    const ms = Date.now() - t0;
    const retries = (await reportedSteps(client, handle.workflowId)).filter((r) => r.attempt > 1);
    await connection.close();
    const attempts = readLedger(ledger);
    const longest = Math.max(...attempts.map((a) => a.last - a.start));
    return [
      ratioRow('server down 20 s, 30 s steps: run time vs longest step (s)', ms / 1e3, longest / 1e3),
      [
        'server down 20 s, 30 s steps: steps started twice',
        ok ? String(attempts.length - ids.length) : 'run failed',
        '',
        '',
        '0',
      ],
      [
        'server down 20 s: retries adopted / from the journal',
        `${retries.filter((r) => r.result.recovered?.how === 'adopted').length}/${retries.filter((r) => r.result.recovered?.how === 'journal').length}`,
        '',
        '',
        '',
      ],
    ];
  } finally {
    await server.stop();
  }
}

async function killAsStepsFinish(worker: StartWorker, address: string, serverPid?: number): Promise<Rows> {
  const rows: Rows = [];
  for (const execution of ['child', 'inline'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-journal-'));
    const ledger = join(dir, 'ledger');
    const dataDir = join(dir, 'data');
    const ids = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const plan = Plan.parse({
      maxConcurrency: ids.length,
      defaults: { execution, heartbeatTimeout: '2s', retry: RETRY },
      tasks: ids.map((id, i) => ledgerTask(id, ledger, 20 + 3 * i)),
    });
    const queue = `bench-journal-${randomUUID()}`;
    const a = await worker(queue, address, { PTQ_DATA_DIR: dataDir });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, dataConverter });
    const handle = await startRun(client, plan, { taskQueue: queue });
    await waitFor(() => readLedger(ledger).length === ids.length, 60_000);
    const ended = () => readLedger(ledger).filter((x) => x.ended).length;
    await waitFor(() => ended() >= 1, 60_000);
    // The server is paused while the steps finish, so their reports are surely lost with the worker.
    if (serverPid) process.kill(serverPid, 'SIGSTOP');
    try {
      while (ended() < 5) await new Promise((r) => setTimeout(r, 5));
      // The moment every step that ended is journaled (a kill in the milliseconds before runs it again).
      await waitFor(() => journalEntries(dataDir) >= ended(), 10_000);
      a.child.kill('SIGKILL');
    } finally {
      if (serverPid) process.kill(serverPid, 'SIGCONT');
    }
    await worker(queue, address, { PTQ_DATA_DIR: dataDir });
    const ok = (await summaryOf(handle)).status === 'succeeded';
    const recovered = await journaledSteps(client, handle.workflowId);
    await connection.close();
    const problems = ledgerProblems(readLedger(ledger), ids);
    rows.push(
      [
        `kill -9 as 8 steps finish, ${execution}: steps ended twice or lost`,
        ok ? String(problems.length) : 'run failed',
        '',
        '',
        '0',
      ],
      [`kill -9 as 8 steps finish, ${execution}: results from the journal`, String(recovered), '', '', ''],
    );
  }
  return rows;
}

/** How many step results of a run (and its children) a retry returned from the journal. */
async function journaledSteps(client: Client, runId: string): Promise<number> {
  const steps = await reportedSteps(client, runId);
  return steps.filter((s) => s.result.recovered?.how === 'journal').length;
}
