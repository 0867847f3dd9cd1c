import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient, getProgress, startRun, summaryOf } from '../src/client';
import { progressView } from '../src/cli/render';
import type { Progress } from '../src/core';
import { plan, runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { attemptAlive, killWorkerHalfway, ledgerProblems, ledgerTask, readLedger } from './support/ledger';
import { waitFor } from './support/processes';
import { useLoadServer } from './support/localHttp';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

jest.setTimeout(600_000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('maxConcurrency: auto on the real server', () => {
  // 3 s while at most 20 requests are open, five times that above: the run's best M is about 20. A
  // service this slow keeps ptq's own time per task (a second or more on a loaded machine) from
  // hiding the jump, and from leaving the server with far fewer requests open than M.
  const server = useLoadServer((inFlight) => (inFlight <= 20 ? 3000 : 15000));

  it('200 GETs as tasks: the requests open at the server settle between 15 and 30, all succeed, never above max', () =>
    withWorker(async ({ client, taskQueue }) => {
      const n = 200;
      const max = 64;
      const p = plan({
        name: 'auto-m',
        maxConcurrency: 'auto',
        maxConcurrencyAuto: { min: 1, max },
        defaults: { retry: { maximumAttempts: 1 } },
        tasks: Array.from({ length: n }, (_, i) => ({
          id: `get${i}`,
          run: { type: 'http' as const, url: `${server.base}/run/${i}` },
        })),
      });
      const id = runId('auto-m');
      const handle = await startRun(client, p, { id, taskQueue });
      const seen: Progress[] = [];
      let view = '';
      let status = '';
      let json: Record<string, unknown> | undefined;
      let details = '';
      const ended = summaryOf(handle);
      let over = false;
      void ended.finally(() => (over = true));
      while (!over) {
        const progress = await getProgress(client, id).catch(() => undefined);
        if (progress?.status === 'running' && progress.counts.running > 0) seen.push(progress);
        if (progress?.maxConcurrencyAuto && progress.counts.succeeded > n / 3 && !view) {
          view = progressView(progress, Date.now(), 1000).join('\n');
          status = (await ptq(['status', id])).stdout;
          json = JSON.parse((await ptq(['status', id, '--json'])).stdout) as Record<string, unknown>;
          details =
            (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const summary = await ended;
      expect(summary.status).toBe('succeeded');
      expect(summary.counts.succeeded).toBe(n);
      expect(summary.maxConcurrencyAuto).toEqual({ min: 1, max });

      // `ptq watch`/`status` and the Web UI show the live M; `--json` has it with its bounds.
      expect(view).toMatch(/ M auto: \d+/);
      expect(status).toMatch(/^auto-m-\w+: running {2}\(auto-m, M auto: \d+, critical-path\)\n/);
      expect(json).toMatchObject({ maxConcurrencyAuto: { min: 1, max } });
      expect(details).toMatch(/ · M auto: \d+ · critical-path/);

      const served = server.served.filter((s) => s.path.startsWith('/run/')).sort((a, b) => a.start - b.start);
      expect(served).toHaveLength(n);
      // The concurrency the service felt: requests open at the middle of each one's service. Not the
      // count on arrival: tasks that start together end together (the same 3 s), so a wave of M
      // requests arrives seeing 1, 2, ... M open, a median of M/2 whatever M is.
      const openAt = (t: number) => served.filter((s) => s.start <= t && t < s.end).length;
      const late = served.slice(n / 2).map((s) => openAt((s.start + s.end) / 2));
      const inBand = late.filter((c) => c >= 15 && c <= 30).length / late.length;
      const limits = seen.map((s) => s.maxConcurrency);
      console.log(
        `maxConcurrency auto: open at the server over the later half: median ${median(late)}, ${Math.round(inBand * 100)}% in 15-30, most on arrival ${Math.max(...served.map((s) => s.inFlight))}; M seen ${limits.join(',')}`,
      );
      expect(median(late)).toBeGreaterThanOrEqual(15);
      expect(median(late)).toBeLessThanOrEqual(30);
      expect(inBand).toBeGreaterThanOrEqual(0.5);
      expect(Math.max(...served.map((s) => s.inFlight))).toBeLessThanOrEqual(max);
      expect(Math.max(...limits)).toBeLessThanOrEqual(max);
      expect(seen.every((s) => s.maxConcurrencyAuto)).toBe(true);
    }));
});

describe('ptq set-concurrency on a run with maxConcurrency: auto', () => {
  it('pins M: the run stops adapting, and status shows the fixed M', () =>
    withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        name: 'auto-pin',
        maxConcurrency: 'auto',
        tasks: Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, run: { type: 'sleep' as const, duration: '3s' } })),
      });
      const id = runId('auto-pin');
      const handle = await startRun(client, p, { id, taskQueue });
      expect((await getProgress(client, id)).maxConcurrencyAuto).toEqual({ min: 1, max: 200 });
      const set = await ptq(['set-concurrency', id, '3']);
      expect([set.stderr, set.stdout]).toEqual(['', `${id}: max concurrency is now 3\n`]);
      const progress = await getProgress(client, id);
      expect(progress.maxConcurrencyAuto).toBeUndefined();
      expect(progress.maxConcurrency).toBe(3);
      expect((await ptq(['status', id])).stdout).toMatch(/\(auto-pin, M=3, critical-path\)/);
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      expect(summary.maxConcurrency).toBe(3);
      expect(summary.maxConcurrencyAuto).toBeUndefined();
    }));
});

describe('maxConcurrency: auto under a worker crash', () => {
  const workers: WorkerProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.child.kill('SIGKILL');
  });

  it('kill -9 of the worker halfway: every task ends once, and M stays automatic', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-auto-m-kill-')), 'ledger');
    const queue = `auto-m-kill-${runId('q')}`;
    workers.push(await startWorkerProcess(queue));
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const n = 40;
    const ids = Array.from({ length: n }, (_, i) => `t${i}`);
    const p = plan({
      maxConcurrency: 'auto',
      maxConcurrencyAuto: { min: 2, max: 16 },
      defaults: { heartbeatTimeout: '2s', retry: { maximumAttempts: 10, initialInterval: '100ms' } },
      tasks: ids.map((t) => ledgerTask(t, ledger, 3)),
    });
    const id = runId('auto-m-kill');
    const handle = await startRun(client, p, { id, taskQueue: queue });
    const { killedAt, orphans } = await killWorkerHalfway(workers, queue, ledger, n);
    // The new worker replays the run, controller included, and goes on with an automatic M.
    const progress = await waitFor(() => getProgress(client, id).catch(() => undefined), 30_000);
    expect(progress.maxConcurrencyAuto).toEqual({ min: 2, max: 16 });
    expect(progress.maxConcurrency).toBeGreaterThanOrEqual(2);
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.succeeded).toBe(n);
    expect(orphans.filter(attemptAlive)).toEqual([]);
    expect(ledgerProblems(readLedger(ledger), ids, killedAt)).toEqual([]);
    await client.connection.close();
  });
});
