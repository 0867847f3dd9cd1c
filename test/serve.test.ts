import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../src/temporal/devServer';
import { runId, withWorker } from './helpers';
import { launchChromium } from './support/browser';
import { ptq, spawnPtq } from './support/cli';
import { waitFor } from './support/processes';

const TOKEN = 'test-token-7f3a9c';
let base: string;
let server: ChildProcess;
let browser: Browser;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-serve-'));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawnPtq(['serve', '--port', String(port), '--token-file', join(dir, 'token')]);
  let said = '';
  server.stderr?.on('data', (c: Buffer) => (said += c.toString()));
  [browser] = await Promise.all([launchChromium(), waitFor(() => said.includes('ptq API on') || undefined)]);
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGINT');
});

/** A request to the API, with the token unless told otherwise; the answer parsed. */
async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

/** Shell tasks that end once `gate` exists, so the test decides when the run goes on. */
function gatedPlan(gate: string) {
  const wait = { type: 'shell', command: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.1; done; echo done`] };
  return {
    name: 'api-demo',
    tasks: [
      { id: 'fetch', run: wait },
      { id: 'lint', run: wait },
      { id: 'build', dependsOn: ['fetch'], run: { type: 'shell', command: ['echo', 'built'] } },
    ],
  };
}

const ROUTES: Array<[string, string]> = [
  ['POST', '/runs'],
  ['GET', '/runs'],
  ['GET', '/runs/x'],
  ['GET', '/runs/x/tasks/y'],
  ['POST', '/runs/x/cancel'],
  ['POST', '/runs/x/terminate'],
  ['POST', '/runs/x/pause'],
  ['POST', '/runs/x/resume'],
  ['POST', '/runs/x/concurrency'],
  ['GET', '/runs/x/events'],
  ['GET', '/runs/x/graph'],
  ['GET', '/runs/x/tasks'],
  ['GET', '/runs/x/tasks/y/logs'],
  ['POST', '/runs/x/retry'],
  ['POST', '/plans/check'],
  ['GET', '/openapi.json'],
];

describe('ptq serve: the HTTP API on the real server', () => {
  it.each(ROUTES)('%s %s without the token, or with a wrong one, is 401', async (method, path) => {
    for (const token of [null, 'wrong']) {
      const r = await call(method, path, method === 'POST' ? {} : undefined, token);
      expect(r.status).toBe(401);
      expect(r.json.error).toMatch(/bearer token/);
    }
    // The query token is for EventSource only, and only where events stream.
    const viaQuery = await call(method, `${path}?access_token=${TOKEN}`, method === 'POST' ? {} : undefined, null);
    expect(viaQuery.status).toBe(path.endsWith('/events') ? 404 : 401); // 404: run "x" does not exist
  });

  it('answers bad input with 400 and one line, and unknown runs with 404', async () => {
    const cycle = {
      plan: {
        tasks: [
          { id: 'a', dependsOn: ['b'], run: { type: 'shell', command: ['true'] } },
          { id: 'b', dependsOn: ['a'], run: { type: 'shell', command: ['true'] } },
        ],
      },
    };
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/runs', cycle, /^plan: dependency cycle: a -> b -> a/],
      ['POST', '/runs', {}, /^give exactly one of "plan" or "requirements"$/],
      ['POST', '/runs', '{"plan":', /^Malformed JSON/],
      ['POST', '/runs', { plan: { tasks: [] }, maxConcurrency: 0 }, /^maxConcurrency: Too small/],
      ['POST', '/runs', { plan: { tasks: [{ id: 'a', dependsOnn: [] }] } }, /did you mean "dependsOn"\?/],
      ['GET', '/runs?limit=abc', undefined, /^limit: /],
      ['GET', '/runs?status=weird', undefined, /^status: /],
    ];
    for (const [method, path, body, message] of cases) {
      const r = await call(method, path, body);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.json.error).toMatch(message);
      expect(r.json.error).not.toContain('\n');
    }
    expect(await call('GET', '/runs/no-such-run')).toEqual({
      status: 404,
      json: { error: 'no run with id "no-such-run": see `ptq list`' },
    });
    expect((await call('POST', '/runs/no-such-run/pause')).status).toBe(404);
  });

  it('starts, lists, shows, controls and streams a real run; an EventSource in Chromium sees it live', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'ptq-serve-gate-')), 'go');
    await withWorker(async ({ taskQueue }) => {
      const id = runId('api');
      const started = await call('POST', '/runs', { id, plan: gatedPlan(gate), taskQueue, maxConcurrency: 2 });
      expect(started).toEqual({ status: 201, json: { id, url: expect.stringContaining(`/workflows/${id}`) } });
      expect((await call('POST', '/runs', { id, plan: gatedPlan(gate), taskQueue })).json.error).toBe(
        `a run with id "${id}" already exists: pick another --id or omit it`,
      );

      const listed = await call('GET', '/runs?plan=api-demo&status=running');
      expect(listed.json.map((r: { id: string }) => r.id)).toContain(id);
      const running = await waitFor(async () => {
        const r = await call('GET', `/runs/${id}`);
        return r.json.progress?.running?.length === 2 ? r : undefined;
      });
      expect(running.json).toMatchObject({ id, status: 'running', progress: { maxConcurrency: 2 } });
      expect((await call('GET', `/runs/${id}/tasks/fetch`)).json).toMatchObject({ id: 'fetch', status: 'running' });
      expect((await call('GET', `/runs/${id}/tasks/nope`)).status).toBe(404);

      expect((await call('POST', `/runs/${id}/pause`)).json).toEqual({ id, done: 'paused' });
      await waitFor(async () => (await call('GET', `/runs/${id}`)).json.progress?.paused || undefined);
      const m = await call('POST', `/runs/${id}/concurrency`, { n: 3 });
      expect(m.json).toEqual({ id, done: 'M is now 3', maxConcurrency: 3 });
      expect((await call('POST', `/runs/${id}/concurrency`, { n: 0 })).status).toBe(400);
      expect((await call('POST', `/runs/${id}/resume`)).json).toEqual({ id, done: 'resumed' });

      // A browser follows the run's events while it runs; the gate opens once it is listening.
      const page = await browser.newPage();
      await page.goto(`${base}/openapi.json`); // any page of the API's origin; this one answers 401
      const stream = page.evaluate(`new Promise((resolve, reject) => {
        const events = [];
        const source = new EventSource('/runs/${id}/events?access_token=${TOKEN}');
        source.onmessage = (m) => { events.push(JSON.parse(m.data)); window.received = events.length; };
        source.addEventListener('end', (m) => { source.close(); resolve({ events, end: JSON.parse(m.data) }); });
        source.onerror = () => { source.close(); reject(new Error('the event stream failed')); };
      })`) as Promise<{ events: Array<{ task: string; event: string }>; end: unknown }>;
      await waitFor(() => page.evaluate('window.received >= 2').then((ok) => ok || undefined));
      writeFileSync(gate, '');
      const { events, end } = await stream;
      await page.close();
      expect(end).toEqual({ id, status: 'succeeded' });
      const seen = events.map((e) => `${e.event} ${e.task}`);
      for (const task of ['fetch', 'lint', 'build']) {
        expect(seen.filter((s) => s === `started ${task}`)).toHaveLength(1);
        expect(seen.filter((s) => s === `succeeded ${task}`)).toHaveLength(1);
      }
      expect(seen.indexOf('succeeded fetch')).toBeLessThan(seen.indexOf('started build'));

      const ended = await call('GET', `/runs/${id}`);
      expect(ended.json).toMatchObject({ id, status: 'succeeded', summary: { counts: { succeeded: 3 } } });
      expect((await call('GET', `/runs/${id}/tasks/build`)).json).toMatchObject({
        status: 'succeeded',
        output: 'built\n',
      });
      expect((await call('POST', `/runs/${id}/cancel`, {})).json).toEqual({ id, done: 'already ended (succeeded)' });
    });
  });

  it('cancels a running run: it ends cancelled, with the reason given', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'ptq-serve-gate-')), 'never');
    await withWorker(async ({ taskQueue }) => {
      const id = runId('api-cancel');
      expect((await call('POST', '/runs', { id, plan: gatedPlan(gate), taskQueue })).status).toBe(201);
      await waitFor(async () => (await call('GET', `/runs/${id}/tasks/fetch`)).json.status === 'running' || undefined);
      expect((await call('POST', `/runs/${id}/cancel`, { reason: 'wrong branch' })).json).toEqual({
        id,
        done: 'cancel requested',
      });
      const ended = await waitFor(async () => {
        const r = await call('GET', `/runs/${id}`);
        return r.json.summary ? r : undefined; // an ended run has its summary
      });
      expect(ended.json).toMatchObject({ status: 'cancelled', summary: { reason: 'wrong branch' } });
    });
  });

  it('takes ?access_token= on the events route only, not on a run or task that is named "events"', async () => {
    await withWorker(async ({ taskQueue }) => {
      const p = { tasks: [{ id: 'events', run: { type: 'shell', command: ['echo', 'hi'] } }] };
      expect((await call('POST', '/runs', { id: 'events', plan: p, taskQueue })).status).toBe(201);
      await waitFor(async () => (await call('GET', '/runs/events')).json.status === 'succeeded' || undefined, 60_000);
      for (const path of ['/runs/events', '/runs/events/tasks/events'])
        expect([path, (await call('GET', `${path}?access_token=${TOKEN}`, undefined, null)).status]).toEqual([
          path,
          401,
        ]);
      const stream = await fetch(`${base}/runs/events/events?access_token=${TOKEN}`);
      expect(stream.status).toBe(200);
      expect(await stream.text()).toMatch(/event: end\ndata: \{"id":"events","status":"succeeded"\}/);
    });
  });

  it('answers a body over 1 MB with 413, with or without a content-length, and only after the token', async () => {
    const big = JSON.stringify({ plan: { tasks: [] }, pad: 'x'.repeat(1_100_000) });
    const tooLarge = { error: "request body over 1 MB, this server's limit (ptq serve --max-body-kb)" };
    expect(await call('POST', '/runs', big)).toEqual({ status: 413, json: tooLarge });
    expect((await call('POST', '/runs', big, null)).status).toBe(401);
    // Chunked, with no length given: counted as it comes, and cut at the limit (the server closes
    // the connection after its answer, so the client may still be sending: node's http reads it).
    const chunked = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', (err) => (req.destroyed && !req.writableEnded ? undefined : reject(err)));
      for (let i = 0; i < 30; i++) req.write(Buffer.alloc(100_000, 0x20));
      req.end();
    });
    expect([chunked.status, JSON.parse(chunked.body)]).toEqual([413, tooLarge]);
    // Under the limit the body is read: a start with neither plan nor requirements is bad input.
    const fits = await call('POST', '/runs', JSON.stringify({ pad: 'x'.repeat(900_000) }));
    expect(fits).toEqual({ status: 400, json: { error: 'give exactly one of "plan" or "requirements"' } });
  });

  it('takes another body limit from --max-body-kb, and refuses a bad one in one line', async () => {
    const bad = await ptq(['serve', '--max-body-kb', '0']);
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      'ptq: --max-body-kb must be an integer from 1 to 1048576, got "0"',
    ]);
    const port = await freePort();
    const small = spawnPtq(['serve', '--port', String(port), '--max-body-kb', '2'], { PTQ_API_TOKEN: TOKEN });
    try {
      let said = '';
      small.stderr?.on('data', (c: Buffer) => (said += c.toString()));
      await waitFor(() => said.includes('ptq API on'), 30_000);
      const post = (bytes: number) =>
        fetch(`http://127.0.0.1:${port}/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ pad: 'x'.repeat(bytes) }),
        });
      const over = await post(3000);
      expect([over.status, await over.json()]).toEqual([
        413,
        { error: "request body over 2 KB, this server's limit (ptq serve --max-body-kb)" },
      ]);
      expect((await post(1000)).status).toBe(400);
    } finally {
      small.kill('SIGINT');
    }
  });

  it('describes every route in /openapi.json, generated from the request schemas', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/plans/check',
      '/runs',
      '/runs/{id}',
      '/runs/{id}/cancel',
      '/runs/{id}/concurrency',
      '/runs/{id}/events',
      '/runs/{id}/graph',
      '/runs/{id}/pause',
      '/runs/{id}/resume',
      '/runs/{id}/retry',
      '/runs/{id}/tasks',
      '/runs/{id}/tasks/{task}',
      '/runs/{id}/tasks/{task}/logs',
      '/runs/{id}/terminate',
    ]);
    expect(Object.keys(doc.paths['/runs'])).toEqual(['post', 'get']);
    expect(doc.components.schemas.StartRun.properties.maxConcurrency).toMatchObject({ type: 'integer', minimum: 1 });
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });
});
