import { summaryOf } from '../src/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startRun } from '../src/client';
import { cancelRun, getProgress, pauseRun, resumeRun, setConcurrency } from '../src/client/control';
import { plan, runId, withWorker } from './helpers';
import { alive, readPid, waitFor, writePid } from './support/processes';
import { maxOverlap, recorder, workTask } from './support/recorder';
import { localStops, shellStepEnds } from './support/history';
import { attemptAlive, ledgerTask, readLedger } from './support/ledger';

/** A shell task whose real process (`sleep 600`) writes its pid to a file first. */
function sleeperTask(id: string, dir: string) {
  const pidFile = join(dir, `${id}.pid`);
  return {
    task: { id, run: { type: 'shell' as const, command: ['sh', '-c', `${writePid(pidFile)}; exec sleep 600`] } },
    pidFile,
  };
}

async function progressOf(client: Client, id: string) {
  return getProgress(client, id);
}

describe('run control on the real server', () => {
  it.each([
    ['workflow cancellation', 'child'],
    ['cancel signal', 'child'],
    ['workflow cancellation', 'inline'],
  ] as const)('%s kills a running shell process (%s task) and ends cancelled', async (how, execution) => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-cancel-'));
    const sleeper = sleeperTask('sleeper', dir);
    const p = plan({
      defaults: { execution },
      tasks: [sleeper.task, { id: 'later', dependsOn: ['sleeper'], run: { type: 'shell', command: ['true'] } }],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('cancel'), taskQueue });
      const pid = await readPid(sleeper.pidFile);
      expect(alive(pid)).toBe(true);
      if (how === 'workflow cancellation') await handle.cancel();
      else await cancelRun(client, handle.workflowId, 'enough');
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('cancelled');
      expect(summary.counts).toMatchObject({ cancelled: 2, succeeded: 0 });
      expect(summary.reason).toBe(how === 'cancel signal' ? 'enough' : 'workflow cancelled');
      expect(alive(pid)).toBe(false);
      // The Web UI and `temporal workflow list` see a Cancelled execution, not a Completed one.
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
  });

  it.each(['inline', 'child'] as const)(
    "a cancel stops the running processes (%s tasks) from the run's worker itself; no step runs twice",
    async (execution) => {
      const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-local-cancel-')), 'ledger');
      const ids = ['a', 'b', 'c', 'd'];
      const p = plan({
        maxConcurrency: 4,
        defaults: { execution },
        tasks: ids.map((id) => ledgerTask(id, ledger, 6_000)),
      });
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('local-cancel'), taskQueue });
        await waitFor(() => readLedger(ledger).length === ids.length);
        await handle.cancel();
        const summary = await summaryOf(handle);
        expect(summary.status).toBe('cancelled');
        expect(summary.counts).toMatchObject({ cancelled: 4 });
        // The worker that runs the workflow stopped all four itself, not their heartbeats.
        expect(await localStops(client, handle.workflowId)).toEqual([4]);
        const attempts = readLedger(ledger);
        expect(attempts.map((a) => a.task).sort()).toEqual(ids); // each started once: none was retried
        expect(attempts.filter((a) => a.ended || attemptAlive(a))).toEqual([]); // cut off, and gone
        // Temporal has each step cancelled, not failed (a failure first would have been retried).
        const ends = await shellStepEnds(client, handle.workflowId);
        expect(ends).toEqual({ scheduled: 4, completed: 0, failed: 0, timedOut: 0, cancelled: 4 });
      });
    },
  );

  it('fail-fast cancels running tasks (killing their processes) and skips the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-ff-'));
    const sleeper = sleeperTask('sleeper', dir);
    const p = plan({
      onFailure: 'fail-fast',
      maxConcurrency: 2,
      tasks: [
        sleeper.task,
        { id: 'bad', dependsOn: ['gate'], retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['false'] } },
        {
          id: 'gate',
          run: {
            type: 'shell',
            command: [
              'node',
              '-e',
              `const f=${JSON.stringify(sleeper.pidFile)};const w=()=>require('fs').existsSync(f)?0:setTimeout(w,20);w()`,
            ],
          },
        },
        { id: 'never', dependsOn: ['bad'], run: { type: 'shell', command: ['true'] } },
        { id: 'queued', run: { type: 'shell', command: ['true'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('failfast'), taskQueue, maxConcurrency: 2 });
      const pid = await readPid(sleeper.pidFile);
      const summary = await summaryOf(handle);
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      expect(summary.status).toBe('failed');
      expect(summary.reason).toBe('task "bad" failed');
      expect(byId.bad.status).toBe('failed');
      expect(byId.sleeper.status).toBe('cancelled');
      expect(byId.never.status).toBe('skipped');
      expect(byId.queued).toMatchObject({
        status: 'skipped',
        reason: 'not started: run failed fast after task "bad" failed',
      });
      expect(alive(pid)).toBe(false);
    });
  });

  it('toleratedFailures lets some failures pass, then fails fast', async () => {
    const failing = (id: string) => ({
      id,
      retry: { maximumAttempts: 1 },
      run: { type: 'shell' as const, command: ['false'] },
    });
    const p = plan({
      toleratedFailures: 1,
      maxConcurrency: 1,
      tasks: [
        failing('f1'),
        failing('f2'),
        { id: 'rest', dependsOn: ['f2'], run: { type: 'shell', command: ['true'] } },
        { id: 'other', priority: -1, run: { type: 'shell', command: ['true'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const summary = await summaryOf(await startRun(client, p, { id: runId('tolerated'), taskQueue }));
      expect(summary.status).toBe('failed');
      expect(summary.counts).toMatchObject({ failed: 2, skipped: 2 });
      // f2 runs first (it heads a longer path); f1's failure is the one past the tolerance.
      expect(summary.reason).toBe('task "f1" failed');
    });
  });

  it('pauses (running tasks finish, nothing new starts) and resumes', async () => {
    const { intervals, activities } = recorder();
    const p = plan({ maxConcurrency: 1, tasks: ['a', 'b', 'c'].map((id) => workTask(id, 300)) });
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('pause'), taskQueue });
        await waitFor(async () => (await progressOf(client, handle.workflowId)).counts.running === 1 || undefined);
        await pauseRun(client, handle.workflowId);
        const paused = await waitFor(async () => {
          const pr = await progressOf(client, handle.workflowId);
          return pr.counts.succeeded === 1 ? pr : undefined;
        });
        expect(paused.paused).toBe(true);
        await new Promise((r) => setTimeout(r, 600));
        const still = await progressOf(client, handle.workflowId);
        expect(still.counts).toMatchObject({ succeeded: 1, running: 0 });
        const resumedAt = Date.now();
        await resumeRun(client, handle.workflowId);
        const summary = await summaryOf(handle);
        expect(summary.status).toBe('succeeded');
        const secondStart = intervals.map((i) => i.start).sort((a, b) => a - b)[1];
        expect(secondStart).toBeGreaterThanOrEqual(resumedAt);
      },
      { activities },
    );
  });

  it('setConcurrency raises and lowers M of a live run', async () => {
    const { intervals, activities } = recorder();
    const p = plan({ maxConcurrency: 1, tasks: Array.from({ length: 16 }, (_, i) => workTask(`t${i}`, 400)) });
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('setm'), taskQueue });
        await waitFor(async () => (await progressOf(client, handle.workflowId)).counts.running === 1 || undefined);
        expect(await setConcurrency(client, handle.workflowId, 4)).toBe(4);
        await waitFor(() => (intervals.length >= 6 ? true : undefined));
        await setConcurrency(client, handle.workflowId, 2);
        const loweredAt = Date.now();
        await expect(setConcurrency(client, handle.workflowId, 0)).rejects.toThrow(
          /concurrency must be an integer from 1 to 10000/,
        );
        expect((await summaryOf(handle)).status).toBe('succeeded');
        expect(maxOverlap(intervals)).toBe(4);
        // Tasks already running when M went down finish first; after that at most 2 overlap.
        const later = intervals.filter((i) => i.start > loweredAt + 450).map((i) => i.id);
        expect(later.length).toBeGreaterThan(0);
        expect(maxOverlap(intervals, (id) => later.includes(id))).toBeLessThanOrEqual(2);
      },
      { activities },
    );
  });
});
