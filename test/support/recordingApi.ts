import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowLocalHttp } from './localHttp';

/** One request the local API saw: when, under which key (`?key=`), for which path, and its answer. */
export interface Hit {
  at: number;
  key: string;
  item: string;
  status: number;
}

/**
 * A local API on 127.0.0.1 that records when each request came, for the rate-limit tests: what
 * reached the API is what a user of a limit checks. It answers 429 with `Retry-After: 1` to the
 * first `throttleFirst` requests, and to a request that would make more than `throttleAbove`
 * successes in the last second; 200 to the others.
 */
export class RecordingApi {
  readonly hits: Hit[] = [];
  throttleFirst = 0;
  throttleAbove = Infinity;
  base = '';
  private server?: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const at = Date.now();
      const url = new URL(req.url ?? '/', 'http://x');
      const recent = this.hits.filter((h) => h.status === 200 && h.at > at - 1000).length;
      const status = this.hits.length < this.throttleFirst || recent >= this.throttleAbove ? 429 : 200;
      this.hits.push({ at, key: url.searchParams.get('key') ?? '', item: url.pathname, status });
      if (status === 429) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Forgets the requests seen and answers 200 again, between tests. */
  reset(): void {
    this.hits.length = 0;
    this.throttleFirst = 0;
    this.throttleAbove = Infinity;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * A RecordingApi for the tests of the calling describe block: started before them, reset before
 * each, stopped after, with their http steps allowed to reach it. Its `base` is there once they run.
 */
export function useRecordingApi(): RecordingApi {
  const api = new RecordingApi();
  allowLocalHttp();
  beforeAll(() => api.start());
  beforeEach(() => api.reset());
  afterAll(() => api.stop());
  return api;
}
