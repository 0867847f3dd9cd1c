import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NativeConnection } from '@temporalio/worker';
import { startRun, summaryOf } from '../src/client';
import { Plan } from '../src/core';
import { LimitStore } from '../src/temporal/limits';
import { createWorker } from '../src/worker';
import { ratioRow, type BenchContext, type Rows } from './support';

/**
 * Named rate limits: the rate the server achieves against the limit; an adaptive limit against
 * an API that answers 429 (Retry-After: 1) above 30 requests/s, vs a fixed maxParallel guessed too
 * high and too low; and what routing a step through a limit's queue costs, vs no limit.
 * The API answers after 50 ms, so maxParallel n alone allows about 20n requests/s.
 */
export async function limits({ client, address, quick }: BenchContext): Promise<Rows> {
  const api = await localApi(30);
  process.env.PTQ_HTTP_ALLOW_HOSTS = '127.0.0.1';
  const native = await NativeConnection.connect({ address });
  const taskQueue = `bench-limits-${randomUUID()}`;
  const worker = await createWorker({ connection: native, taskQueue, address });
  const store = new LimitStore(client.workflowService, 'default');
  const n = quick ? 200 : 400;
  const run = async (name: string, extra: Record<string, unknown>, items = n) => {
    api.reset();
    const plan = Plan.parse({
      name,
      maxConcurrency: 100,
      params: { base: { default: api.base } },
      tasks: [
        {
          id: 'fetch',
          map: { items: { range: [0, items] }, maxParallel: 50 },
          retry: { maximumAttempts: 20, initialInterval: '1s', maximumInterval: '2s' },
          run: { type: 'http', url: '{{params.base}}/u/{{item}}' },
          ...extra,
        },
      ],
    });
    const t0 = Date.now();
    const summary = await summaryOf(await startRun(client, plan, { taskQueue }));
    const seconds = (Date.now() - t0) / 1000;
    if (summary.status !== 'succeeded') throw new Error(`${name}: ${summary.status}`);
    return { seconds, ok: api.ok, throttled: api.throttled };
  };
  const rows: Rows = [];
  try {
    await worker.runUntil(async () => {
      const fixed = `bench-fixed-${randomUUID().slice(0, 6)}`;
      api.throttleAbove = Infinity;
      await store.set(fixed, { rate: 20 });
      const achieved = await run('fixed-20', { rateLimit: fixed });
      rows.push(
        ratioRow(`limits: ${n} requests under 20/s (requests/s vs the limit)`, n / achieved.seconds, 20, '<= 1.0x'),
      );

      api.throttleAbove = 30;
      const adaptive = `bench-adaptive-${randomUUID().slice(0, 6)}`;
      await store.set(adaptive, { rate: 200, adaptive: true });
      const a = await run('adaptive', { rateLimit: adaptive });
      const high = await run('too-high', { map: { items: { range: [0, n] }, maxParallel: 50 } });
      const low = await run('too-low', { map: { items: { range: [0, n] }, maxParallel: 1 } });
      for (const [what, r] of [
        ['adaptive 200/s ceiling', a],
        ['maxParallel 50, no limit', high],
        ['maxParallel 1, no limit', low],
      ] as const) {
        rows.push(ratioRow(`limits: API allows 30/s, ${what}: successes/s (vs 30)`, r.ok / r.seconds, 30, ''));
        rows.push(ratioRow(`limits: API allows 30/s, ${what}: 429s per success`, r.throttled / r.ok, 1, '', 2));
      }

      api.throttleAbove = Infinity;
      const open = `bench-open-${randomUUID().slice(0, 6)}`;
      await store.set(open, { rate: 100_000 });
      const limited = await run('limited', { rateLimit: open });
      const plain = await run('plain', {});
      rows.push(
        ratioRow(
          `limits: ${n} requests, limit far above (items/s vs no limit)`,
          n / limited.seconds,
          n / plain.seconds,
          '>= 0.8x',
        ),
      );
      for (const name of [fixed, adaptive, open]) await store.delete(name);
    });
  } finally {
    await native.close();
    await api.close();
  }
  return rows;
}

/** An API on 127.0.0.1 that answers after 50 ms, and 429 (Retry-After: 1) above `throttleAbove` a second. */
async function localApi(throttleAbove: number) {
  const recent: number[] = [];
  const state = { throttleAbove, ok: 0, throttled: 0, base: '' };
  const server = createServer((_req, res) => {
    const now = Date.now();
    while (recent.length && recent[0] <= now - 1000) recent.shift();
    if (recent.length >= state.throttleAbove) {
      state.throttled++;
      return void res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    }
    recent.push(now);
    state.ok++;
    setTimeout(() => res.writeHead(200).end('ok'), 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    reset: () => {
      state.ok = 0;
      state.throttled = 0;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  });
}
