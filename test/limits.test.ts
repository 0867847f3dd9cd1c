import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, type Client } from '@temporalio/client';
import { taskWorkflowId } from '../src/shared';
import { startRun, summaryOf } from '../src/client';
import { LimitStore } from '../src/temporal/limits';
import type { RunSummary } from '../src/core';
import { plan, runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { LIMITS_NAMESPACE } from './support/namespaces';
import { startWorkerProcess } from './support/workers';
import { waitFor } from './support/processes';
import { useRecordingApi, type Hit } from './support/recordingApi';

/** The most hits in any window of `ms` (sliding), from `from` on. */
function maxIn(ms: number, hits: Hit[], from = 0): number {
  const times = hits
    .map((h) => h.at)
    .filter((t) => t >= from)
    .sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/**
 * What the server holds (matching's GCRA limiter, Temporal 1.29): `rate` a second with a burst of
 * one second's worth, fixed by the server. A queue that idled has a full bucket, so a window of T
 * seconds holds at most rate x (T + 1); in steady backlog it holds rate x T.
 */
function serverBound(rate: number, seconds: number): number {
  return Math.ceil(rate * (seconds + 1)) + 1;
}

/**
 * When the server started each step of a map on a limit's queue: its ActivityTaskStarted events.
 * This is the rate the server holds; a request leaves the worker later, by however long the
 * worker takes to run the task it was handed (on a loaded machine, up to seconds, in bunches).
 */
async function serverStarts(client: Client, runId: string, taskId = 'fetch'): Promise<Hit[]> {
  const { events } = await client.workflow.getHandle(taskWorkflowId(runId, taskId)).fetchHistory();
  const limited = new Set<string>();
  const hits: Hit[] = [];
  for (const e of events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.taskQueue?.name?.startsWith('ptq-limit-')) limited.add(String(e.eventId));
    const started = e.activityTaskStartedEventAttributes;
    if (started && limited.has(String(started.scheduledEventId))) {
      const t = e.eventTime;
      hits.push({
        at: Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6),
        key: '',
        item: '',
        status: 0,
      });
    }
  }
  return hits;
}

/** Hits per second from the first to the last. */
function meanRate(hits: Hit[]): number {
  const times = hits.map((h) => h.at);
  return (hits.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
}

const itemsOf = (summary: RunSummary, id: string) => summary.tasks.find((t) => t.id === id)?.items;
const limitName = () => `api-${randomUUID().slice(0, 8)}`;

const urlMap = (id: string, items: number, extra: Record<string, unknown>) => ({
  id,
  map: { items: { range: [0, items] as [number, number] }, maxParallel: 50 },
  retry: { maximumAttempts: 3 },
  run: { type: 'http' as const, url: '{{params.base}}/u/{{item}}?key={{params.key}}' },
  ...extra,
});

describe('named rate limits, held by the Temporal server', () => {
  const api = useRecordingApi();
  let connection: Connection;
  let store: LimitStore;
  /**
   * Where the tests that count requests a second, or allow one attempt, run: only their own worker
   * polls their limits. In `default` the workers of the test file running beside them take steps too,
   * pace them on their own, and fail them when their test ends and they shut down.
   */
  let alone: LimitStore;

  beforeAll(async () => {
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
    store = new LimitStore(connection.workflowService, 'default');
    alone = new LimitStore(connection.workflowService, LIMITS_NAMESPACE);
  });
  afterAll(async () => {
    await connection.close();
  });

  it('two runs share one limit at 20/s: no second holds more than 25 requests from both, 15/s or more arrive (the server alone lets twice the rate through in a second)', () =>
    withWorker(
      async ({ client, taskQueue }) => {
        const name = `api-${randomUUID().slice(0, 8)}`;
        const p = (key: string) =>
          plan({
            maxConcurrency: 50,
            params: { base: { default: api.base }, key: { default: key } },
            limits: { [name]: { rate: '20/s' } },
            tasks: [urlMap('fetch', 200, { rateLimit: name })],
          });
        const ids = [runId('limit-a'), runId('limit-b')];
        const runs = await Promise.all([
          startRun(client, p('a'), { id: ids[0], taskQueue }),
          startRun(client, p('b'), { id: ids[1], taskQueue }),
        ]);
        const summaries = await Promise.all(runs.map((r) => summaryOf(r)));
        expect(summaries.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
        expect(api.hits.filter((h) => h.key === 'a')).toHaveLength(200);
        expect(api.hits.filter((h) => h.key === 'b')).toHaveLength(200);
        const first = Math.min(...api.hits.map((h) => h.at));
        const hist: number[] = [];
        for (const h of api.hits)
          hist[Math.floor((h.at - first) / 1000)] = (hist[Math.floor((h.at - first) / 1000)] ?? 0) + 1;
        console.log(Array.from(hist, (n) => n ?? 0).join(' '));
        console.log(
          `20/s shared: first second ${maxIn(
            1000,
            api.hits.filter((h) => h.at < first + 1000),
          )}, after it max ${maxIn(1000, api.hits, first + 1000)}/s, mean ${meanRate(api.hits).toFixed(1)}/s`,
        );
        console.log(`20/s shared: most in 5 s ${maxIn(5000, api.hits)}`);
        const starts = (await Promise.all(ids.map((id) => serverStarts(client, id)))).flat();
        console.log(
          `20/s shared, server starts: ${starts.length}, most in 1 s ${maxIn(1000, starts)}, in 5 s ${maxIn(5000, starts)}, mean ${meanRate(starts).toFixed(1)}/s`,
        );
        expect(starts).toHaveLength(400);
        expect(maxIn(1000, starts)).toBeLessThanOrEqual(serverBound(20, 1));
        expect(maxIn(5000, starts)).toBeLessThanOrEqual(serverBound(20, 5));
        expect(meanRate(starts)).toBeGreaterThanOrEqual(15);
        expect(meanRate(starts)).toBeLessThanOrEqual(25);
        expect(meanRate(api.hits)).toBeGreaterThanOrEqual(15);
        // The worker paces what the server hands it at the limit's rate (burst 1): the API sees no burst.
        expect(maxIn(1000, api.hits)).toBeLessThanOrEqual(25);
        expect(await alone.definitions()).toHaveProperty(name, { rate: 20 });
        await alone.delete(name);
      },
      { namespace: LIMITS_NAMESPACE },
    ));

  it('perKey 10/s with two keys: each key stays at or under 13 requests in any second', () =>
    withWorker(
      async ({ client, taskQueue }) => {
        const name = limitName();
        const p = (key: string) =>
          plan({
            maxConcurrency: 50,
            params: { base: { default: api.base }, key: { default: key } },
            limits: { [name]: { rate: '100/s', perKey: '10/s' } },
            tasks: [urlMap('fetch', 60, { rateLimit: name, rateKey: '{{params.key}}' })],
          });
        const ids = { a: runId('perkey-a'), b: runId('perkey-b') };
        const runs = await Promise.all(
          (['a', 'b'] as const).map((k) => startRun(client, p(k), { id: ids[k], taskQueue })),
        );
        const summaries = await Promise.all(runs.map((r) => summaryOf(r)));
        expect(summaries.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
        for (const key of ['a', 'b'] as const) {
          expect(api.hits.filter((h) => h.key === key)).toHaveLength(60);
          // One run per key: its map's starts are that key's.
          const hits = await serverStarts(client, ids[key]);
          const first = Math.min(...hits.map((h) => h.at));
          console.log(
            `perKey 10/s, key ${key}: first second ${maxIn(
              1000,
              hits.filter((h) => h.at < first + 1000),
            )}, after it max ${maxIn(1000, hits, first + 1000)}/s, mean ${meanRate(hits).toFixed(1)}/s`,
          );
          expect(hits).toHaveLength(60);
          expect(
            maxIn(
              1000,
              api.hits.filter((h) => h.key === key),
            ),
          ).toBeLessThanOrEqual(13);
          expect(maxIn(1000, hits)).toBeLessThanOrEqual(serverBound(10, 1));
          expect(meanRate(hits)).toBeLessThanOrEqual(13);
          expect(maxIn(3000, hits)).toBeLessThanOrEqual(serverBound(10, 3));
        }
        await alone.delete(name);
      },
      { namespace: LIMITS_NAMESPACE },
    ));

  it('adaptive, ceiling 200/s, against an API that 429s above 30/s: all 400 succeed, few 429s, 15+ successes/s', () =>
    withWorker(
      async ({ client, taskQueue }) => {
        const name = limitName();
        api.throttleAbove = 30;
        const p = plan({
          maxConcurrency: 50,
          params: { base: { default: api.base }, key: { default: 'x' } },
          limits: { [name]: { rate: '200/s', adaptive: true } },
          // One attempt: a 429 under an adaptive limit must not spend it.
          tasks: [{ ...urlMap('fetch', 400, { rateLimit: name }), retry: { maximumAttempts: 1 } }],
        });
        const summary = await summaryOf(await startRun(client, p, { id: runId('adaptive'), taskQueue }));
        expect(summary.status).toBe('succeeded');
        expect(itemsOf(summary, 'fetch')?.succeeded).toBe(400);
        const ok = api.hits.filter((h) => h.status === 200);
        const throttled = api.hits.length - ok.length;
        const limit = (await alone.definitions())[name];
        const now = await alone.status(name, limit);
        console.log(
          `adaptive: ${ok.length} ok, ${throttled} 429s (${((100 * throttled) / api.hits.length).toFixed(1)}%), ${meanRate(ok).toFixed(1)} successes/s, rate now ${now.current}/s (${now.reason})`,
        );
        expect(ok).toHaveLength(400);
        // The summary counts every 429 the API answered: each sent its step back to the limit's queue.
        expect(summary.limits).toEqual([expect.objectContaining({ name, started: 400, throttled })]);
        expect(throttled / api.hits.length).toBeLessThanOrEqual(0.15);
        expect(meanRate(ok)).toBeGreaterThanOrEqual(15);
        await alone.delete(name);
      },
      { namespace: LIMITS_NAMESPACE },
    ));

  it('`ptq status` shows steps waiting for the limit, and `ptq limit set` mid-run changes the rate within 3 s', () =>
    withWorker(async ({ client, taskQueue }) => {
      const name = limitName();
      await store.set(name, { rate: 4 });
      const p = plan({
        maxConcurrency: 50,
        params: { base: { default: api.base }, key: { default: 'x' } },
        tasks: [urlMap('fetch', 250, { rateLimit: name })],
      });
      const id = runId('limit-set');
      const run = await startRun(client, p, { id, taskQueue });
      await waitFor(() => (api.hits.length >= 12 ? true : undefined), 30_000);
      const status = await ptq(['status', id]);
      expect(status.stdout).toMatch(new RegExp(`^fetch: \\d+ steps waiting for ${name}$`, 'm'));
      const set = await ptq(['limit', 'set', name, '--rate', '16/s']);
      expect(set.stdout).toBe(`limit ${name}: 16/s\n`);
      const at = Date.now();
      expect((await summaryOf(run)).status).toBe('succeeded');
      const starts = await serverStarts(client, id);
      const before = starts.filter((h) => h.at < at);
      const after = starts.filter((h) => h.at >= at + 1000 && h.at < at + 3000);
      console.log(`limit set 4/s -> 16/s: before ${meanRate(before).toFixed(1)}/s, 1-3 s after ${after.length / 2}/s`);
      expect(maxIn(3000, before)).toBeLessThanOrEqual(serverBound(4, 3));
      // This machine runs a map at about 20-25 steps/s: 16/s is a rate it can reach.
      expect(after.length / 2).toBeGreaterThanOrEqual(12);
      await store.delete(name);
    }));

  it('kill -9 of a worker mid-map under a limit: nothing lost or doubled, the limit still holds', async () => {
    const taskQueue = `limits-kill-${randomUUID().slice(0, 8)}`;
    const name = limitName();
    await store.set(name, { rate: 20 });
    const env = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS as string, PTQ_HTTP_ALLOW_HOSTS: '127.0.0.1' };
    const first = await startWorkerProcess(taskQueue, [], env);
    const second = await startWorkerProcess(taskQueue, [], env);
    const clientConn = await import('../src/client').then((m) => m.connectClient({ address: env.TEMPORAL_ADDRESS }));
    try {
      const p = plan({
        maxConcurrency: 50,
        params: { base: { default: api.base }, key: { default: 'k' } },
        tasks: [urlMap('fetch', 200, { rateLimit: name, heartbeatTimeout: '2s' })],
      });
      const id = runId('limit-kill');
      const run = await startRun(clientConn, p, { id, taskQueue });
      await waitFor(() => (api.hits.length >= 60 ? true : undefined), 30_000);
      first.child.kill('SIGKILL');
      const summary = await summaryOf(run);
      expect(summary.status).toBe('succeeded');
      expect(itemsOf(summary, 'fetch')?.succeeded).toBe(200);
      // The summary's limit section counts each item's step once, the one retried after the kill too.
      expect(summary.limits).toEqual([expect.objectContaining({ name, started: 200, throttled: 0 })]);
      expect(new Set(api.hits.map((h) => h.item)).size).toBe(200);
      const start = Math.min(...api.hits.map((h) => h.at));
      console.log(
        `kill -9 under 20/s: ${api.hits.length} requests for 200 items, max ${maxIn(1000, api.hits, start + 1000)}/s after the first second`,
      );
      // An item whose request was in flight at the kill is asked again: at-least-once, never lost.
      expect(api.hits.length).toBeGreaterThanOrEqual(200);
      expect(api.hits.length).toBeLessThanOrEqual(205);
      const starts = await serverStarts(clientConn, id);
      console.log(
        `kill -9 under 20/s, server starts: most in 1 s ${maxIn(1000, starts)}, in 5 s ${maxIn(5000, starts)}`,
      );
      expect(starts).toHaveLength(200);
      expect(maxIn(1000, starts)).toBeLessThanOrEqual(serverBound(20, 1));
      expect(maxIn(5000, starts)).toBeLessThanOrEqual(serverBound(20, 5));
    } finally {
      first.child.kill('SIGKILL');
      second.child.kill('SIGTERM');
      await second.exited;
      await clientConn.connection.close();
      await store.delete(name);
    }
  });

  it('`ptq limit set/list/delete` and `ptq validate` naming a limit that exists nowhere (exit 4)', async () => {
    const name = limitName();
    const set = await ptq(['limit', 'set', name, '--rate', '600/m', '--per-key', '2/s']);
    expect(set.stdout).toBe(`limit ${name}: 10/s, 2/s per key\n`);
    const listed = JSON.parse((await ptq(['limit', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((l) => l.name === name)).toMatchObject({ rate: 10, perKey: 2, current: 10, waiting: 0 });
    const file = join(mkdtempSync(join(tmpdir(), 'ptq-limits-')), 'plan.json');
    const uses = (limit: string) => ({ id: `t-${limit}`, rateLimit: limit, run: { type: 'shell', command: ['true'] } });
    writeFileSync(file, JSON.stringify({ tasks: [uses(name), uses('nowhere')] }));
    const validated = await ptq(['validate', file]);
    expect(validated.code).toBe(4);
    expect(validated.stderr).toBe(
      `${file}: rate limit "nowhere" is neither declared in "limits" nor on the server: add "limits": {"nowhere": {"rate": "10/s"}} or run \`ptq limit set nowhere --rate 10/s\`\n`,
    );
    expect((await ptq(['limit', 'delete', name])).stdout).toBe(`limit ${name} deleted\n`);
    const again = await ptq(['limit', 'delete', name]);
    expect([again.code, again.stderr]).toEqual([2, `ptq: no limit "${name}": see \`ptq limit list\`\n`]);

    // A burst is the workers' pacing; more than one second of the rate is refused, saying why.
    const burst = await ptq(['limit', 'set', name, '--rate', '20/s', '--burst', '5']);
    expect(burst.stdout).toBe(`limit ${name}: 20/s, burst 5\n`);
    const shown = JSON.parse((await ptq(['limit', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(shown.find((l) => l.name === name)).toMatchObject({ rate: 20, burst: 5 });
    const tooBig = await ptq(['limit', 'set', name, '--rate', '20/s', '--burst', '40']);
    expect([tooBig.code, tooBig.stderr]).toEqual([
      2,
      'ptq: --burst must be a whole number from 1 to 20 (one second of the rate: Temporal lets no more through at once), got 40\n',
    ]);
    await store.delete(name);
    writeFileSync(file, JSON.stringify({ limits: { api: { rate: '20/s', burst: 40 } }, tasks: [uses('api')] }));
    const refused = await ptq(['validate', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('limits.api.burst: burst must be a whole number from 1 to 20');
  });
});
