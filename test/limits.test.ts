import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { startRun, summaryOf } from '../src/client';
import { LimitStore } from '../src/temporal/limits';
import { plan, runId, withWorker } from './helpers';

/** One request the local API saw: when, and under which key (`?key=`). */
interface Hit {
  at: number;
  key: string;
  status: number;
}

/**
 * A local API that records when each request came. `throttleAbove`: answers 429 with
 * `Retry-After: 1` to a request that would make more than that many in the last second.
 */
class RecordingApi {
  readonly hits: Hit[] = [];
  throttleAbove = Infinity;
  private server?: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      const at = Date.now();
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? '';
      const recent = this.hits.filter((h) => h.status === 200 && h.at > at - 1000).length;
      const status = recent >= this.throttleAbove ? 429 : 200;
      this.hits.push({ at, key, status });
      if (status === 429) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/** The most hits in any window of one second (sliding), from `from` on. */
function maxPerSecond(hits: Hit[], from = 0): number {
  const times = hits
    .map((h) => h.at)
    .filter((t) => t >= from)
    .sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Hits per second from the first to the last. */
function meanRate(hits: Hit[]): number {
  const times = hits.map((h) => h.at);
  return (hits.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
}

const urlMap = (id: string, items: number, extra: Record<string, unknown>) => ({
  id,
  map: { items: { range: [0, items] as [number, number] }, maxParallel: 50 },
  retry: { maximumAttempts: 3 },
  run: { type: 'http' as const, url: '{{params.base}}/u/{{item}}?key={{params.key}}' },
  ...extra,
});

describe('named rate limits, held by the Temporal server', () => {
  const api = new RecordingApi();
  let connection: Connection;
  let store: LimitStore;

  beforeAll(async () => {
    await api.start();
    process.env.PTQ_HTTP_ALLOW_HOSTS = '127.0.0.1';
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
    store = new LimitStore(connection.workflowService, 'default');
  });
  afterAll(async () => {
    await api.stop();
    await connection.close();
    delete process.env.PTQ_HTTP_ALLOW_HOSTS;
  });
  beforeEach(() => {
    api.hits.length = 0;
    api.throttleAbove = Infinity;
  });

  it('two runs share one limit at 20/s: no second holds more than 25 of their requests, the mean is 15/s or more', () =>
    withWorker(async ({ client, taskQueue }) => {
      const name = `api-${randomUUID().slice(0, 8)}`;
      const p = (key: string) =>
        plan({
          maxConcurrency: 50,
          params: { base: { default: api.base }, key: { default: key } },
          limits: { [name]: { rate: '20/s' } },
          tasks: [urlMap('fetch', 200, { rateLimit: name })],
        });
      const runs = await Promise.all([
        startRun(client, p('a'), { id: runId('limit-a'), taskQueue }),
        startRun(client, p('b'), { id: runId('limit-b'), taskQueue }),
      ]);
      const summaries = await Promise.all(runs.map((r) => summaryOf(r)));
      expect(summaries.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
      expect(api.hits.filter((h) => h.key === 'a')).toHaveLength(200);
      expect(api.hits.filter((h) => h.key === 'b')).toHaveLength(200);
      const first = Math.min(...api.hits.map((h) => h.at));
      const hist: number[] = [];
      for (const h of api.hits) hist[Math.floor((h.at - first) / 1000)] = (hist[Math.floor((h.at - first) / 1000)] ?? 0) + 1;
      console.log(Array.from(hist, (n) => n ?? 0).join(' '));
      console.log(
        `20/s shared: first second ${maxPerSecond(api.hits.filter((h) => h.at < first + 1000))}, after it max ${maxPerSecond(api.hits, first + 1000)}/s, mean ${meanRate(api.hits).toFixed(1)}/s`,
      );
      expect(maxPerSecond(api.hits, first + 1000)).toBeLessThanOrEqual(25);
      expect(meanRate(api.hits)).toBeGreaterThanOrEqual(15);
      expect(await store.definitions()).toHaveProperty(name, { rate: 20 });
      await store.delete(name);
    }));
});
