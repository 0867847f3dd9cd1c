import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startRun, summaryOf } from '../src/client';
import { dataConverter } from '../src/temporal/codec';
import type { Execution } from '../src/core';
import { freePort, startDevServer, type DevServer } from '../src/temporal/devServer';
import { plan, runId } from './helpers';
import { journalEntries, reportedSteps } from './support/history';
import { attemptAlive, ledgerProblems, ledgerTask, readLedger, type Attempt } from './support/ledger';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * A step runs once even where Temporal's activities are at-least-once: a server outage longer than
 * the heartbeat timeout leaves the running program alone for its retry to adopt, and a worker killed
 * as steps finish leaves their results in the step journal for the retries. The tasks' own ledger
 * says how often each really started and ended.
 */
jest.setTimeout(180_000);

const RETRY = { maximumAttempts: 10, initialInterval: '100ms' };

/** Steps that end before the worker is killed, in the kill -9 tests. */
const ENDED_BEFORE_KILL = 5;
/**
 * How much longer (in 100 ms ticks) the other steps run, so that none ends while the worker dies.
 * A worker killed with -9 is not gone at once: its main thread, which its steps' PID namespaces
 * die with, exited up to 210 ms after the kill on 2 busy cores (its other threads within about
 * 10 ms; the last thread out frees the 400 MB). A step that ends meanwhile ends unjournaled and runs
 * again, as one ending the instant before the kill would (CI: three steps still running at the kill
 * ended within 0.3 s of it, each twice).
 */
const LATE_TICKS = 40;

describe('durable steps', () => {
  const workers: WorkerProcess[] = [];
  afterEach(() => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  });
  const worker = async (queue: string, env: Record<string, string>) => {
    const w = await startWorkerProcess(queue, [], env);
    workers.push(w);
    return w;
  };

  it('a 20 s server outage during 30 s steps: each step starts once, its retry adopts it and reports its result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-outage-steps-'));
    const ledger = join(dir, 'ledger');
    const db = join(dir, 'temporal.db');
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let server = await startDevServer({ port, db, headless: true });
    const ids = ['a', 'b', 'c', 'd'];
    const p = plan({
      maxConcurrency: ids.length,
      defaults: { execution: 'child', heartbeatTimeout: '2s', retry: RETRY },
      tasks: ids.map((id) => ledgerTask(id, ledger, 300)),
    });
    try {
      const queue = `durable-${randomUUID()}`;
      await worker(queue, { TEMPORAL_ADDRESS: address, PTQ_DATA_DIR: join(dir, 'data') });
      const connection = await Connection.connect({ address });
      const client = new Client({ connection, dataConverter });
      const handle = await startRun(client, p, { id: runId('outage-steps'), taskQueue: queue });
      await waitFor(() => readLedger(ledger).length === ids.length, 60_000);
      await server.stop();
      await new Promise((r) => setTimeout(r, 20_000));
      expect(readLedger(ledger).filter((a) => a.ended)).toEqual([]); // the outage ends while the steps run
      server = await startDevServer({ port, db, headless: true });
      const backAt = Date.now();
      expect((await summaryOf(handle)).status).toBe('succeeded');
      const attempts = readLedger(ledger);
      expect(attempts.map((a) => a.task).sort()).toEqual(ids); // each step started once
      expect(ledgerProblems(attempts, ids)).toEqual([]);
      const reported = await reportedSteps(client, handle.workflowId);
      expect(reported).toHaveLength(ids.length);
      // The outage timed the attempts out; the retries reported the first attempts' results: they
      // adopted a program still running, or took the result of one that had ended from the journal.
      const retried = reported.filter((s) => s.attempt > 1);
      expect(retried.length).toBeGreaterThan(0);
      for (const s of retried) {
        expect(s.result.attempt).toBe(1);
        expect(s.result.recovered).toMatchObject({ attempt: s.attempt });
        expect(['adopted', 'journal']).toContain(s.result.recovered?.how);
      }
      // A step still running well after the server came back was adopted by its retry.
      const late = attempts.filter((a) => a.last > backAt + 5_000).map((a) => a.task);
      const tasks = reported.map((s) => s.workflowId.split('/').pop());
      const lateRetries = late.map((task) => reported[tasks.indexOf(task)]).filter((s) => s.attempt > 1);
      for (const s of lateRetries) expect(s.result.recovered?.how).toBe('adopted');
      await connection.close();
    } finally {
      await server.stop();
    }
  });

  it('a step kept running through an outage is given up when its run ends meanwhile: its processes die', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-orphan-'));
    const ledger = join(dir, 'ledger');
    const db = join(dir, 'temporal.db');
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let server = await startDevServer({ port, db, headless: true });
    const ids = ['a', 'b'];
    const p = plan({
      defaults: { execution: 'child', heartbeatTimeout: '2s', retry: RETRY },
      tasks: ids.map((id) => ledgerTask(id, ledger, 600)),
    });
    try {
      const queue = `durable-${randomUUID()}`;
      await worker(queue, { TEMPORAL_ADDRESS: address, PTQ_DATA_DIR: join(dir, 'data') });
      const connection = await Connection.connect({ address });
      const client = new Client({ connection, dataConverter });
      const handle = await startRun(client, p, { id: runId('orphan'), taskQueue: queue });
      await waitFor(() => readLedger(ledger).length === ids.length, 60_000);
      await server.stop();
      await new Promise((r) => setTimeout(r, 8_000)); // past the heartbeat timeout: the attempts time out
      server = await startDevServer({ port, db, headless: true });
      expect(readLedger(ledger).every((a) => attemptAlive(a))).toBe(true); // kept through the outage
      await handle.terminate('the run ends while its steps are orphaned');
      for (const id of ids) await client.workflow.getHandle(`${handle.workflowId}/${id}`).terminate();
      // The worker asks the server every 2 s whether a retry will come; none will: it kills them.
      await waitFor(() => readLedger(ledger).every((a) => !attemptAlive(a)), 15_000);
      expect(readLedger(ledger).filter((a) => a.ended)).toEqual([]);
      await connection.close();
    } finally {
      await server.stop();
    }
  });

  describe('kill -9 right as steps finish', () => {
    // A server of its own, paused (SIGSTOP) while the steps finish, so their reports cannot get through.
    let server: DevServer;
    beforeAll(async () => {
      server = await startDevServer({ port: await freePort(), headless: true });
    });
    afterAll(() => server.stop());

    it.each(['child', 'inline'] as const)(
      '%s tasks: 8 steps end while their reports are held back, the worker dies; each step ends once, from the journal',
      async (execution: Execution) => {
        const dir = mkdtempSync(join(tmpdir(), 'ptq-journal-'));
        const ledger = join(dir, 'ledger');
        const env = { TEMPORAL_ADDRESS: server.address, PTQ_DATA_DIR: join(dir, 'data') };
        // 8 steps: 5 of 2-3 s that end 300 ms apart, then 3 that end some 4 s later (see LATE_TICKS).
        const ids = Array.from({ length: 8 }, (_, i) => `t${i}`);
        const p = plan({
          maxConcurrency: ids.length,
          defaults: { execution, heartbeatTimeout: '2s', retry: RETRY },
          tasks: ids.map((id, i) => ledgerTask(id, ledger, 20 + 3 * i + (i < ENDED_BEFORE_KILL ? 0 : LATE_TICKS))),
        });
        const queue = `durable-${randomUUID()}`;
        const a = await worker(queue, env);
        const connection = await Connection.connect({ address: server.address });
        const client = new Client({ connection, dataConverter });
        const handle = await startRun(client, p, { id: runId(`journal-${execution}`), taskQueue: queue });
        await waitFor(() => readLedger(ledger).length === ids.length, 60_000);
        const ended = () => readLedger(ledger).filter((x) => x.ended);
        await waitFor(() => ended().length >= 1, 60_000);
        process.kill(server.process.pid as number, 'SIGSTOP');
        let running: Attempt[];
        try {
          while (ended().length < ENDED_BEFORE_KILL) await new Promise((r) => setTimeout(r, 5));
          // The kill comes the moment every step that ended is journaled: a worker killed in the few
          // milliseconds between a program's exit and its journal entry still runs it again.
          await waitFor(() => journalEntries(env.PTQ_DATA_DIR) >= ended().length, 10_000);
          running = readLedger(ledger).filter((x) => !x.ended);
          a.child.kill('SIGKILL');
          await a.exited;
        } finally {
          process.kill(server.process.pid as number, 'SIGCONT');
        }
        // The steps still running died with the worker (their PID namespaces): none ended.
        await waitFor(() => running.every((x) => !attemptAlive(x)), 5_000);
        const endedLater = readLedger(ledger).filter((x) => x.ended && running.some((y) => y.attempt === x.attempt));
        expect(endedLater.map((x) => x.task)).toEqual([]);
        const endedBefore = ended().map((x) => x.task);
        await worker(queue, env);
        expect((await summaryOf(handle)).status).toBe('succeeded');
        const attempts = readLedger(ledger);
        // Strictly once: no allowance for a report lost in the crash.
        expect(ledgerProblems(attempts, ids)).toEqual([]);
        for (const task of endedBefore) expect(attempts.filter((x) => x.task === task)).toHaveLength(1);
        // Steps whose reports were lost were retried and answered from the journal.
        const reported = await reportedSteps(client, handle.workflowId);
        expect(reported).toHaveLength(ids.length);
        const journaled = reported.filter((r) => r.result.recovered);
        expect(journaled.length).toBeGreaterThan(0);
        for (const s of journaled) expect(s.result.recovered).toMatchObject({ how: 'journal', attempt: s.attempt });
        await connection.close();
      },
    );
  });
});
