import { summaryOf } from '../src/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { connectClient, startRun } from '../src/client';
import { dataConverter } from '../src/temporal/codec';
import { freePort, startDevServer } from '../src/temporal/devServer';
import { plan, runId, withWorker } from './helpers';
import { attemptAlive, ledgerProblems, ledgerTask, readLedger } from './support/ledger';
import { ptq, ptqLive, spawnPtq } from './support/cli';
import { shellStepEnds } from './support/history';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * Fault injection on the real server with real processes: workers killed with -9, stopped with
 * SIGTERM, the server restarted mid-run. A ledger written by the tasks themselves shows that every
 * task ends exactly once and that two attempts of one task never overlap.
 */
jest.setTimeout(120_000);

const ended = (ledger: string) => readLedger(ledger).filter((a) => a.ended).length;

/** A plan of `n` ledger tasks of about `ticks` × 100 ms; a dead worker is noticed within 2 s. */
function ledgerPlan(n: number, ledger: string, ticks: number, execution: 'child' | 'inline', m = 8) {
  const ids = Array.from({ length: n }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const p = plan({
    maxConcurrency: m,
    defaults: { execution, heartbeatTimeout: '2s', retry: { maximumAttempts: 10, initialInterval: '100ms' } },
    tasks: ids.map((id) => ledgerTask(id, ledger, ticks)),
  });
  return { p, ids };
}

async function newClient(): Promise<Client> {
  return connectClient({ address: process.env.TEMPORAL_ADDRESS });
}

describe('fault injection', () => {
  const workers: WorkerProcess[] = [];
  afterEach(() => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  });
  const worker = async (queue: string, args: string[] = []) => {
    const w = await startWorkerProcess(queue, args);
    workers.push(w);
    return w;
  };

  it.each(['child', 'inline'] as const)(
    'kill -9 of the worker at 50%% (%s tasks): its processes die, the run finishes, every task ends once, no overlap',
    async (execution) => {
      const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-kill-')), 'ledger');
      const { p, ids } = ledgerPlan(16, ledger, 15, execution);
      const queue = `faults-${randomUUID()}`;
      const a = await worker(queue);
      const client = await newClient();
      const handle = await startRun(client, p, { id: runId(`kill-${execution}`), taskQueue: queue });
      // Halfway, with steps running (right after the first wave ends, the next may not have started).
      await waitFor(() => ended(ledger) >= 8 && readLedger(ledger).some((x) => !x.ended), 60_000);
      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 100)); // the worker dies a moment after the signal
      const orphans = readLedger(ledger).filter((x) => !x.ended);
      expect(orphans.length).toBeGreaterThan(0);
      await worker(queue);
      await new Promise((r) => setTimeout(r, 5_000 - (Date.now() - killedAt)));
      expect(orphans.filter(attemptAlive).map((o) => o.task)).toEqual([]);
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      expect(ledgerProblems(readLedger(ledger), ids, killedAt)).toEqual([]);
      // The orphans were cut off, not finished by the dead worker after the fact.
      for (const o of orphans) expect(readLedger(ledger).find((x) => x.attempt === o.attempt)?.ended).toBe(false);
      await client.connection.close();
    },
  );

  it('SIGTERM with a shutdown grace lets running tasks finish; none runs twice', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-term-')), 'ledger');
    const { p, ids } = ledgerPlan(8, ledger, 20, 'child', 4);
    const queue = `faults-${randomUUID()}`;
    const a = await worker(queue, ['--shutdown-grace', '20s']);
    const client = await newClient();
    const handle = await startRun(client, p, { id: runId('term'), taskQueue: queue });
    await waitFor(() => readLedger(ledger).length >= 4, 30_000);
    const running = readLedger(ledger).filter((x) => !x.ended);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    // Every step that was running when the worker was asked to stop finished on it.
    const after = readLedger(ledger);
    for (const r of running) expect(after.find((x) => x.attempt === r.attempt)?.ended).toBe(true);
    await worker(queue);
    expect((await summaryOf(handle)).status).toBe('succeeded');
    const attempts = readLedger(ledger);
    expect(ledgerProblems(attempts, ids)).toEqual([]);
    expect(attempts).toHaveLength(ids.length); // no task started a second time
    await client.connection.close();
  });

  it('two workers, one killed with -9: the other finishes the run, every task ends once', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-two-')), 'ledger');
    const { p, ids } = ledgerPlan(16, ledger, 10, 'child');
    const queue = `faults-${randomUUID()}`;
    const [a] = [await worker(queue), await worker(queue)];
    const client = await newClient();
    const handle = await startRun(client, p, { id: runId('two'), taskQueue: queue });
    await waitFor(() => ended(ledger) >= 4, 60_000);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await summaryOf(handle)).status).toBe('succeeded');
    expect(ledgerProblems(readLedger(ledger), ids, killedAt)).toEqual([]);
    await client.connection.close();
  });

  it('kill -9 of the worker just after a cancel stopped its steps locally: no step runs again, the run ends', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-cancel-kill-')), 'ledger');
    const { p, ids } = ledgerPlan(6, ledger, 6_000, 'inline');
    const queue = `faults-${randomUUID()}`;
    const a = await worker(queue);
    const client = await newClient();
    const handle = await startRun(client, p, { id: runId('cancel-kill'), taskQueue: queue });
    await waitFor(() => readLedger(ledger).length === ids.length, 30_000);
    await handle.cancel();
    // The worker stops the steps itself; their activities wait for the cancel's heartbeat answer.
    await waitFor(() => readLedger(ledger).every((x) => !attemptAlive(x)));
    a.child.kill('SIGKILL');
    await worker(queue);
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('cancelled');
    expect(summary.counts.succeeded).toBe(0);
    // Temporal does not retry a step whose cancel it holds, even one its dead worker never answered.
    await new Promise((r) => setTimeout(r, 3_000)); // past the 2 s heartbeat timeout and a retry's start
    const attempts = readLedger(ledger);
    expect(attempts.map((x) => x.task).sort()).toEqual(ids);
    expect(attempts.filter((x) => x.ended || attemptAlive(x))).toEqual([]);
    expect((await shellStepEnds(client, handle.workflowId)).scheduled).toBe(ids.length);
    await client.connection.close();
  });

  it('a server restart (SQLite file) longer than the heartbeat timeout: the run finishes, no task ends twice', async () => {
    await onOwnServer('ptq-restart-', async ({ dir, client, taskQueue, stop, restart }) => {
      const ledger = join(dir, 'ledger');
      const { p, ids } = ledgerPlan(12, ledger, 10, 'child', 4);
      const handle = await startRun(client, p, { id: runId('restart'), taskQueue });
      await waitFor(() => ended(ledger) >= 4, 60_000);
      await stop();
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, 5_000)); // longer than the 2 s heartbeat timeout
      await restart();
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      expect(ledgerProblems(readLedger(ledger), ids)).toEqual([]);
      // Steps that finished while the server was down were not run again.
      const duringOutage = readLedger(ledger).filter((a) => a.ended && a.last > downAt && a.last < downAt + 5_000);
      for (const a of duringOutage) expect(readLedger(ledger).filter((x) => x.task === a.task)).toHaveLength(1);
    });
  });

  it('`ptq result` rides out a server outage and exits 0; past its tolerance it exits 3 with one line', async () => {
    await onOwnServer('ptq-outage-', async ({ address, client, taskQueue, stop, restart }) => {
      const p = plan({ tasks: [{ id: 'nap', run: { type: 'sleep', duration: '5s' } }] });
      const patient = await startRun(client, p, { id: runId('outage'), taskQueue });
      const impatient = await startRun(client, p, { id: runId('outage'), taskQueue });
      const rides = ptqLive(['result', patient.workflowId, '--address', address]);
      const givesUp = ptq(['result', impatient.workflowId, '--address', address], { PTQ_WAIT_FOR_SERVER: '1s' });
      await new Promise((r) => setTimeout(r, 3_000)); // both commands are connected and waiting
      await stop();
      // The SDK retries unavailable calls for about 15 s by itself; ptq's own wait starts after that.
      const quit = await givesUp;
      expect(quit.code).toBe(3);
      expect(quit.stderr).toContain(`ptq: waiting for Temporal at ${address}…`);
      expect(quit.stderr.trim().split('\n').pop()).toMatch(
        /^ptq: Temporal at \S+ has been unreachable for \d+s: the run itself goes on/,
      );
      // The patient one is waiting too before the server comes back (its SDK retries may end later).
      await waitFor(() => rides.stderr().includes(`ptq: waiting for Temporal at ${address}…`), 60_000);
      await restart();
      const result = await rides.result;
      expect(result.stderr).toContain(`ptq: waiting for Temporal at ${address}…`);
      expect(result.stderr).toContain('ptq: Temporal is back');
      expect(result.code).toBe(0);
    });
  });

  it('`ptq logs -f` rides out a server restart: every line once, in order, and exit 0', async () => {
    await onOwnServer('ptq-logs-outage-', async ({ address, client, taskQueue, stop, restart }) => {
      const lines = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`);
      const p = plan({
        // A heartbeat timeout longer than the outage: the step is not retried, so no line is repeated.
        defaults: { heartbeatTimeout: '2m' },
        tasks: [
          {
            id: 'talk',
            // 60 s: the step must outlive the outage (about 15 s of SDK retries, ptq's wait, a restart),
            // or its completion is sent to a stopped server and it is retried after the heartbeat timeout.
            run: { type: 'shell', command: ['sh', '-c', 'for i in $(seq 1 60); do echo line $i; sleep 1; done'] },
          },
        ],
      });
      const handle = await startRun(client, p, { id: runId('logs-outage'), taskQueue });
      const follow = spawnPtq(['logs', handle.workflowId, 'talk', '-f', '--address', address]);
      let stdout = '';
      let stderr = '';
      follow.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      follow.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => follow.once('close', (code) => resolve(code)));
      await waitFor(() => stdout.includes('line 3\n'), 60_000);
      await stop();
      // The SDK retries unavailable calls for about 15 s by itself; ptq's own wait starts after that.
      await waitFor(() => stderr.includes(`ptq: waiting for Temporal at ${address}…`), 60_000);
      await restart();
      expect(await exited).toBe(0);
      expect(stderr).toContain('ptq: Temporal is back');
      expect(stderr).not.toMatch(/UNAVAILABLE/);
      expect(stdout.trim().split('\n')).toEqual(lines);
      expect((await summaryOf(handle)).status).toBe('succeeded');
    });
  }, 240_000);
});

/** What a test on a dev server of its own gets: the server's files, a client and a worker on it. */
interface OwnServer {
  dir: string;
  address: string;
  client: Client;
  taskQueue: string;
  stop: () => Promise<void>;
  /** Starts the server again on the same port and SQLite file, so it keeps every run. */
  restart: () => Promise<void>;
}

/** Runs `fn` against a dev server of its own (so it can stop and restart it), with a worker and a client. */
async function onOwnServer(prefix: string, fn: (server: OwnServer) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = join(dir, 'temporal.db');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let server = await startDevServer({ port, db, headless: true });
  try {
    await withWorker(
      async ({ taskQueue }) => {
        const connection = await Connection.connect({ address });
        try {
          const client = new Client({ connection, dataConverter });
          const stop = () => server.stop();
          const restart = async () => void (server = await startDevServer({ port, db, headless: true }));
          await fn({ dir, address, client, taskQueue, stop, restart });
        } finally {
          await connection.close();
        }
      },
      { address },
    );
  } finally {
    await server.stop();
  }
}
