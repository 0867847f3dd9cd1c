import { summaryOf } from '../src/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient, startRun } from '../src/client';
import { cancelRun } from '../src/client/control';
import { plan, runId, withWorker } from './helpers';
import { attemptAlive, daemonTask, ledgerProblems, readLedger, type Attempt } from './support/ledger';
import { waitFor } from './support/processes';
import { ptq } from './support/cli';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * Steps run in PID namespaces of their own: what a step starts, even in a session of its own
 * (`setsid -f`), dies with the step, with a cancel and with its worker, and a step sees no process
 * but its own. Real processes, real workers, a ledger written by the daemons themselves.
 */
jest.setTimeout(120_000);

/** Once the daemon has ticked, its attempt as the ledger has it. */
const daemonRunning = (ledger: string): Promise<Attempt> =>
  waitFor(() => readLedger(ledger).find((a) => a.last > a.start && !a.ended), 30_000);

/** How long after `from` the attempt's processes were all gone (polled every 50 ms). */
async function goneAfter(attempt: Attempt, from: number): Promise<number> {
  await waitFor(() => !attemptAlive(attempt), 10_000);
  return Date.now() - from;
}

describe('step containment', () => {
  const workers: WorkerProcess[] = [];
  afterEach(() => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  });

  it('ptq worker says what contains steps, and refuses a PTQ_CONTAINMENT it does not know', async () => {
    const worker = await startWorkerProcess(`contain-${randomUUID()}`);
    workers.push(worker);
    expect(worker.stderr()).toMatch(/^steps run in their own PID namespace \(\S*setpriv --pdeathsig KILL \S*unshare /);
    const bad = await ptq(['worker', '--task-queue', 'unused'], { PTQ_CONTAINMENT: 'chroot' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ptq: PTQ_CONTAINMENT="chroot" is not one of auto, pid-namespace, process-group');
  });

  it('a step sees no process but its own; one killed by a signal says so', () =>
    withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        defaults: { retry: { maximumAttempts: 1 } },
        tasks: [
          { id: 'ps', run: { type: 'shell', command: ['sh', '-c', 'echo /proc/[0-9]*'] } },
          { id: 'killed', run: { type: 'shell', command: ['sh', '-c', 'kill -KILL $$'] } },
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('ps'), taskQueue }));
      const [ps, killed] = summary.tasks;
      // Its namespace's init (the trampoline's shell) and itself; `echo` is a builtin.
      expect(ps.output?.trim()).toBe('/proc/1 /proc/2');
      expect(killed.error).toMatch(/^killed by SIGKILL\b/);
    }));

  it('cancel of a step that daemonized (setsid -f): the daemon is gone at once and never ends', () =>
    withWorker(async ({ client, taskQueue }) => {
      const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-contain-')), 'ledger');
      const id = runId('daemon-cancel');
      const handle = await startRun(client, plan({ tasks: [daemonTask('daemon', ledger, 400)] }), { id, taskQueue });
      const daemon = await daemonRunning(ledger);
      const cancelledAt = Date.now();
      await cancelRun(client, id, 'test');
      const ms = await goneAfter(daemon, cancelledAt);
      expect(ms).toBeLessThan(3_000); // within about a second; a busy machine gets some slack
      expect((await summaryOf(handle)).status).toBe('cancelled');
      expect(readLedger(ledger).map((a) => a.ended)).toEqual([false]);
    }));

  it('kill -9 of the worker running a step that daemonized: the daemon dies with it, the retry runs it once', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-contain-')), 'ledger');
    const queue = `contain-${randomUUID()}`;
    const first = await startWorkerProcess(queue);
    workers.push(first);
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const p = plan({
      defaults: { heartbeatTimeout: '2s', retry: { maximumAttempts: 3, initialInterval: '100ms' } },
      tasks: [daemonTask('daemon', ledger, 20)],
    });
    const handle = await startRun(client, p, { id: runId('daemon-kill'), taskQueue: queue });
    const daemon = await daemonRunning(ledger);
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await goneAfter(daemon, killedAt)).toBeLessThan(3_000);
    workers.push(await startWorkerProcess(queue));
    expect((await summaryOf(handle)).status).toBe('succeeded');
    const attempts = readLedger(ledger);
    expect(ledgerProblems(attempts, ['daemon'], killedAt)).toEqual([]);
    expect(attempts.map((a) => a.ended)).toEqual([false, true]); // cut off once, then run once to its end
    await client.connection.close();
  });
});
