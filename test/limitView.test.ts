import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { startRun, summaryOf } from '../src/client';
import { taskWorkflowId } from '../src/shared';
import { LimitStore } from '../src/temporal/limits';
import { plan, runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { waitFor } from './support/processes';
import { LIMIT_VIEW_NAMESPACE } from './support/namespaces';
import { useRecordingApi } from './support/recordingApi';

const BIN = join(__dirname, '..', 'bin', 'ptq.js');
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

/** A worker and client of the tests' own namespace (see LIMIT_VIEW_NAMESPACE). */
const inNamespace = <T>(fn: Parameters<typeof withWorker<T>>[0]) => withWorker(fn, { namespace: LIMIT_VIEW_NAMESPACE });

const limitName = () => `api-${randomUUID().slice(0, 8)}`;

const limitedMap = (name: string, items: number, maxParallel: number) => ({
  id: 'fetch',
  map: { items: { range: [0, items] as [number, number] }, maxParallel },
  rateLimit: name,
  run: { type: 'http' as const, url: '{{params.base}}/u/{{item}}' },
});

describe('what a run shows of its rate limits', () => {
  const api = useRecordingApi();
  let connection: Connection;
  let store: LimitStore;

  beforeAll(async () => {
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
    store = new LimitStore(connection.workflowService, LIMIT_VIEW_NAMESPACE);
    // The CLI runs of these tests (`ptq result`, `ptq watch`) look there too.
    process.env.TEMPORAL_NAMESPACE = LIMIT_VIEW_NAMESPACE;
  });
  afterAll(async () => {
    delete process.env.TEMPORAL_NAMESPACE;
    await connection.close();
  });

  it('the summary of a 40-item map (in two shards) under 5/s: 40 steps, most waited, the longest about 7 s, about 5/s', () =>
    inNamespace(async ({ client, taskQueue }) => {
      const name = limitName();
      await store.set(name, { rate: 5 });
      const p = plan({
        maxConcurrency: 50,
        params: { base: { default: api.base } },
        tasks: [limitedMap(name, 40, 40)],
      });
      const id = runId('limit-summary');
      try {
        const summary = await summaryOf(await startRun(client, p, { id, taskQueue, shardSize: 20 }));
        expect(summary.status).toBe('succeeded');
        const [limit] = summary.limits ?? [];
        console.log(`40 items at 5/s: ${JSON.stringify(limit)}`);
        expect(limit).toMatchObject({ name, started: 40, throttled: 0 });
        // The server lets the first second's worth (5) through at once; the rest wait their turn.
        expect(limit.waited).toBeGreaterThanOrEqual(30);
        // The last of 35 that wait at 5/s waits 7 s; a loaded machine adds its own delay.
        expect(limit.longestWaitMs).toBeGreaterThanOrEqual((40 / 5 - 2) * 1000);
        expect(limit.longestWaitMs).toBeLessThanOrEqual((40 / 5 + 6) * 1000);
        expect(limit.ratePerSec).toBeGreaterThanOrEqual(4);
        expect(limit.ratePerSec).toBeLessThanOrEqual(6.5);
        const result = await ptq(['result', id]);
        expect(result.stdout).toMatch(
          new RegExp(`^  rate limit ${name}: 40 steps, \\d+ waited \\(longest [\\d.]+s\\), [\\d.]+/s, 0 429s$`, 'm'),
        );
        const json = JSON.parse((await ptq(['result', id, '--json'])).stdout) as { limits: unknown };
        expect(json.limits).toEqual(summary.limits);
        const status = await ptq(['status', id]);
        expect(status.stdout).toContain(`rate limit ${name}: 40 steps`);
        const meta = await client.workflow
          .getHandle(id)
          .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        expect(meta.currentDetails).toContain(`| ${name} | 40 |`);
      } finally {
        await store.delete(name);
      }
    }));

  it('an adaptive limit: the summary counts the 429s the API answered, as many as it recorded', () =>
    inNamespace(async ({ client, taskQueue }) => {
      const name = limitName();
      api.throttleFirst = 6;
      const p = plan({
        maxConcurrency: 20,
        params: { base: { default: api.base } },
        limits: { [name]: { rate: '50/s', adaptive: true } },
        tasks: [{ ...limitedMap(name, 20, 20), retry: { maximumAttempts: 1 } }],
      });
      try {
        const summary = await summaryOf(await startRun(client, p, { id: runId('limit-429'), taskQueue }));
        expect(summary.status).toBe('succeeded');
        const throttled = api.hits.filter((h) => h.status === 429).length;
        expect(throttled).toBe(6);
        expect(summary.limits).toEqual([expect.objectContaining({ name, started: 20, throttled })]);
      } finally {
        await store.delete(name);
      }
    }));

  it('`ptq watch` (--json, plain, on a terminal) and the Web UI details of the run and the map say the map waits for the limit', () =>
    inNamespace(async ({ client, taskQueue }) => {
      const name = limitName();
      await store.set(name, { rate: 3 });
      // 45 items at 3/s wait about 15 s: time for two `ptq watch` processes to start on a loaded machine.
      const p = plan({
        maxConcurrency: 50,
        params: { base: { default: api.base } },
        tasks: [
          limitedMap(name, 45, 45),
          { id: 'after', dependsOn: ['fetch'], run: { type: 'sleep', duration: '3s' } },
        ],
      });
      const id = runId('limit-watch');
      try {
        const run = await startRun(client, p, { id, taskQueue });
        const watching = Promise.all([ptq(['watch', id, '--json']), ptq(['watch', id])]);
        // The live view on a terminal (tmux) puts it on the map's row.
        const session = `ptq-limit-watch-${process.pid}`;
        const env = `TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} TEMPORAL_NAMESPACE=${LIMIT_VIEW_NAMESPACE}`;
        tmux(
          'new-session',
          '-d',
          '-s',
          session,
          '-x',
          '120',
          '-y',
          '30',
          `env ${env} ${process.execPath} ${BIN} watch ${id}; sleep 30`,
        );
        // The run's and the map's details in the Web UI say it too, while the map waits.
        const detailsOf = async (workflowId: string) =>
          (
            await client.workflow
              .getHandle(workflowId)
              .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
          ).currentDetails ?? '';
        const seen = { run: false, map: false, tty: false };
        await waitFor(async () => {
          await new Promise((r) => setTimeout(r, 400));
          seen.run ||= new RegExp(`^- fetch: \\d+ waiting for ${name}$`, 'm').test(await detailsOf(id));
          seen.map ||= new RegExp(`^- \\d+ waiting for ${name}$`, 'm').test(
            await detailsOf(taskWorkflowId(id, 'fetch')),
          );
          seen.tty ||= new RegExp(`^  ▶ fetch .* \\d+ waiting for ${name}$`, 'm').test(
            tmux('capture-pane', '-p', '-t', session),
          );
          return seen.run && seen.map && seen.tty ? true : undefined;
        }, 30_000)
          .catch(() => undefined)
          .finally(() => tmux('kill-session', '-t', session));
        expect(seen).toEqual({ run: true, map: true, tty: true });
        const [json, plain] = await watching;
        expect((await summaryOf(run)).status).toBe('succeeded');
        const events = json.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { event: string; task?: string; limit?: string; steps?: number });
        const waits = events.filter((e) => e.event === 'waiting' || e.event === 'waited');
        expect(waits[0]).toMatchObject({ event: 'waiting', task: 'fetch', limit: name });
        expect(waits[0].steps).toBeGreaterThan(0);
        // One event as the wait starts and one as it ends, not one per look.
        expect(waits.map((e) => e.event)).toEqual(['waiting', 'waited']);
        const ended = events.findIndex((e) => e.event === 'succeeded' && e.task === 'fetch');
        expect(events.indexOf(waits[1])).toBeLessThan(
          events.findIndex((e) => e.event === 'succeeded' && e.task === 'after'),
        );
        expect(ended).toBeGreaterThan(events.indexOf(waits[0]));
        expect(plain.stdout).toMatch(
          new RegExp(`^\\d\\d:\\d\\d:\\d\\d waiting   fetch: \\d+ steps? waiting for ${name}$`, 'm'),
        );
        expect(plain.stdout).toMatch(
          new RegExp(`^\\d\\d:\\d\\d:\\d\\d waited    fetch: no step waits for ${name} any more$`, 'm'),
        );
      } finally {
        await store.delete(name);
      }
    }));

  it("the run's look at its waits costs at most one local activity per 3 s of a 400-item limited map", () =>
    inNamespace(async ({ client, taskQueue }) => {
      const name = limitName();
      await store.set(name, { rate: 50 });
      const p = plan({
        maxConcurrency: 50,
        params: { base: { default: api.base } },
        tasks: [limitedMap(name, 400, 400)],
      });
      const id = runId('limit-cost');
      try {
        const summary = await summaryOf(await startRun(client, p, { id, taskQueue }));
        expect(summary.status).toBe('succeeded');
        const historyOf = async (workflowId: string) => {
          const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
          const count = (has: (e: NonNullable<typeof events>[number]) => unknown) => (events ?? []).filter(has).length;
          return {
            events: events?.length ?? 0,
            looks: count((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
            timers: count((e) => e.timerStartedEventAttributes),
            tasks: count((e) => e.workflowTaskCompletedEventAttributes),
          };
        };
        const run = await historyOf(id);
        const map = await historyOf(taskWorkflowId(id, 'fetch'));
        console.log(
          `400 items at 50/s in ${(summary.makespanMs / 1000).toFixed(1)} s: the run's history ${JSON.stringify(run)}, ` +
            `the map's ${JSON.stringify(map)} (looks: local activities)`,
        );
        const looks = run.looks;
        expect(looks).toBeGreaterThanOrEqual(1);
        expect(looks).toBeLessThanOrEqual(Math.ceil(summary.makespanMs / 3000) + 3);
        expect(map.looks).toBeGreaterThanOrEqual(1);
        expect(map.looks).toBeLessThanOrEqual(Math.ceil(summary.makespanMs / 3000) + 3);
      } finally {
        await store.delete(name);
      }
    }));
});
