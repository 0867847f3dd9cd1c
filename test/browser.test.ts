import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { connectClient, startRun, summaryOf } from '../src/client';
import { cancelRun } from '../src/client/control';
import type { ItemResult, PlanInput, RunSummary } from '../src/core';
import { parseExtract } from '../src/activities/steps/browserExtract';
import { browse, BrowserFailure } from '../src/activities/steps/browserPage';
import { BrowserPool, describeBrowserPool, poolSettings } from '../src/activities/steps/browserPool';
import { plan, runId } from './helpers';
import { chromiumProcesses } from './support/browser';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * The browser step on the real server, with `ptq worker` processes, Debian's Chromium and a local
 * site: what it reads from pages, the pool's bound on browsers, failures, a cancel, a kill -9 of
 * the worker, and the SSRF guard.
 */
jest.setTimeout(180_000);

const PAGES = 20;
const taskOf = (s: RunSummary, id: string) => s.tasks.find((t) => t.id === id);

function readResults(summary: RunSummary, id: string): ItemResult[] {
  return readFileSync(taskOf(summary, id)?.results as string, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ItemResult);
}

/** Page N: its title and h1; page 5 gets both from its own script, a while after it loaded. */
function page(n: number): string {
  if (n === 5)
    return `<html><head><title>loading</title></head><body><script>
      setTimeout(() => { document.title = 'Page 5 by script'; const h = document.createElement('h1');
      h.textContent = 'Heading 5 by script'; document.body.append(h); }, 300);</script></body></html>`;
  return `<html><head><title>Page ${n}</title></head><body><h1>Heading ${n}</h1></body></html>`;
}

/** A browser map over /p/0 ... /p/(n-1) of the site. */
function pagesPlan(base: string, n: number, extra: Partial<PlanInput['tasks'][number]> = {}): PlanInput {
  return {
    maxConcurrency: 8,
    // Short, so a dead worker's items come back soon; not shorter: two Chromium starting at once on a
    // busy 2-core CI machine held a worker's heartbeats past 2 s.
    defaults: { heartbeatTimeout: '5s' },
    tasks: [
      {
        id: 'pages',
        map: { items: { range: [0, n] }, maxParallel: 8 },
        output: 'json',
        run: {
          type: 'browser',
          url: `${base}/p/{{item}}`,
          waitFor: 'h1',
          timeout: '30s', // the machine may be busy: correctness, not speed
          extract: { title: 'title', heading: 'h1' },
        },
        ...extra,
      },
    ],
  } as PlanInput;
}

describe('browser step', () => {
  let server: Server;
  let base: string;
  /** Requests per path, and the requests that hang, open now. */
  const hits = new Map<string, number>();
  const hanging = new Set<IncomingMessage>();
  let delayMs = 0;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const html = (status: number, body: string) =>
        setTimeout(() => res.writeHead(status, { 'content-type': 'text/html' }).end(body), delayMs);
      const n = Number(/^\/p\/(\d+)$/.exec(path)?.[1]);
      if (path === '/hang' || n === PAGES + 1) {
        hanging.add(req);
        return void req.socket.once('close', () => hanging.delete(req));
      }
      if (path === '/missing' || n === PAGES) return html(404, '<title>Not here</title><h1>404</h1>');
      if (path === '/to-metadata')
        return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (path === '/metadata-image')
        return html(200, '<title>img</title><h1>x</h1><img src="http://169.254.169.254/latest/meta-data/x.png">');
      if (Number.isInteger(n)) return html(200, page(n));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  afterEach(() => {
    delayMs = 0;
  });

  /** A `ptq worker` with a TMPDIR of its own, by which its Chromium processes are found. */
  async function worker(queue: string, env: Record<string, string> = {}): Promise<{ w: WorkerProcess; tmp: string }> {
    const tmp = mkdtempSync(join(tmpdir(), 'ptq-browser-test-'));
    const w = await startWorkerProcess(queue, [], { PTQ_BROWSERS: '2', TMPDIR: tmp, ...env });
    workers.push(w);
    return { w, tmp };
  }

  it('20 pages at maxParallel 8 with PTQ_BROWSERS=2: every title and heading, never more than 2 browsers; a 404 and a page that never loads fail their items; a crashed browser is replaced', async () => {
    const queue = `browser-${randomUUID()}`;
    const { w, tmp } = await worker(queue);
    expect(w.stderr()).toContain('browser steps: a pool of 2 Chromium (/usr/bin/chromium)');
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, chromiumProcesses(tmp).filter((p) => p.main).length);
    }, 25);
    // Items 20 and 21: a 404, and a page that never answers (tried once, it times out).
    const p = plan(
      pagesPlan(base, PAGES + 2, {
        retry: { maximumAttempts: 1 },
        map: { items: { range: [0, PAGES + 2] }, maxParallel: 8, toleratedFailures: 2 },
      }),
    );
    // Long enough for a good page on a starved machine: in a CI run beside the 3,000-wide map test,
    // a plain local page took over 20 s to load. The page that never answers takes the whole of it.
    Object.assign(p.tasks[0].run, { timeout: 40_000 });
    const summary = await summaryOf(await startRun(client, p, { id: runId('browser-map'), taskQueue: queue }));
    clearInterval(sampler);
    // On failure, the map's own account of what failed.
    expect(summary.status === 'succeeded' ? 'succeeded' : taskOf(summary, 'pages')?.output).toBe('succeeded');
    const results = readResults(summary, 'pages').sort((a, b) => a.index - b.index);
    expect(results.map((r) => r.index)).toEqual([...Array(PAGES + 2).keys()]);
    for (const r of results.slice(0, PAGES)) {
      const script = r.index === 5 ? ' by script' : '';
      expect(r.ok).toBe(true);
      expect(r.json).toMatchObject({
        title: `Page ${r.index}${script}`,
        heading: `Heading ${r.index}${script}`,
        status: 200,
        finalUrl: `${base}/p/${r.index}`,
      });
    }
    expect(results[PAGES]).toMatchObject({ ok: false, attempts: 1 });
    expect(results[PAGES].error).toContain(`${base}/p/${PAGES} answered 404`);
    expect(JSON.parse(results[PAGES].output)).toMatchObject({ title: 'Not here', status: 404 });
    expect(results[PAGES + 1]).toMatchObject({ ok: false, attempts: 1 });
    expect(results[PAGES + 1].error).toContain(`timed out after 40.0s loading ${base}/p/${PAGES + 1}`);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(2);

    // Both browsers killed between runs: the next step starts a new one.
    const killed = chromiumProcesses(tmp).filter((c) => c.main);
    expect(killed.length).toBeGreaterThan(0);
    for (const c of killed) process.kill(c.pid, 'SIGKILL');
    const again = await summaryOf(
      await startRun(client, plan(pagesPlan(base, 1)), { id: runId('browser-again'), taskQueue: queue }),
    );
    expect(again.status).toBe('succeeded');
    expect(readResults(again, 'pages')[0].json).toMatchObject({ title: 'Page 0', heading: 'Heading 0' });
    const now = chromiumProcesses(tmp).filter((c) => c.main);
    expect(now.length).toBe(1);
    expect(killed.map((c) => c.pid)).not.toContain(now[0].pid);
    await client.connection.close();
  });

  it('a cancel mid-map closes every page at once, and leaves no Chromium process', async () => {
    const queue = `browser-cancel-${randomUUID()}`;
    const { tmp } = await worker(queue, { PTQ_BROWSER_IDLE: '1s' });
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const p = plan(pagesPlan(base, PAGES));
    Object.assign(p.tasks[0].run, { url: `${base}/hang`, timeout: 120_000 });
    const id = runId('browser-cancel');
    const handle = await startRun(client, p, { id, taskQueue: queue });
    // Eight pages wait on a server that never answers; only the cancel can end them.
    await waitFor(() => hanging.size >= 8, 60_000);
    await cancelRun(client, id);
    await waitFor(() => hanging.size === 0, 10_000);
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('cancelled');
    await waitFor(() => chromiumProcesses(tmp).length === 0, 15_000);
    await client.connection.close();
  });

  it('kill -9 of the worker mid-map leaves no Chromium process, and another worker ends each item once', async () => {
    const queue = `browser-kill-${randomUUID()}`;
    const a = await worker(queue);
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    delayMs = 700;
    hits.clear();
    const p = plan(pagesPlan(base, PAGES, { retry: { maximumAttempts: 5, initialInterval: '100ms' } }));
    const handle = await startRun(client, p, { id: runId('browser-kill'), taskQueue: queue });
    const served = () => [...hits.entries()].filter(([path]) => path.startsWith('/p/')).length;
    await waitFor(() => served() >= 6 && chromiumProcesses(a.tmp).length > 0, 60_000);
    expect(served()).toBeLessThan(PAGES);
    a.w.child.kill('SIGKILL');
    await waitFor(() => chromiumProcesses(a.tmp).length === 0, 10_000);
    await worker(queue);
    const summary = await summaryOf(handle);
    // On failure, the map's own account of what failed.
    expect(summary.status === 'succeeded' ? 'succeeded' : taskOf(summary, 'pages')?.output).toBe('succeeded');
    const results = readResults(summary, 'pages');
    expect(results.map((r) => r.index).sort((x, y) => x - y)).toEqual([...Array(PAGES).keys()]);
    expect(results.every((r) => r.ok && (r.json as { title: string }).title.startsWith(`Page ${r.index}`))).toBe(true);
    await client.connection.close();
  });

  it('refuses link-local addresses: the page, a redirect to one, and a subresource', async () => {
    const queue = `browser-guard-${randomUUID()}`;
    await worker(queue);
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const step = (url: string) => ({ type: 'browser' as const, url, extract: { title: 'title' } });
    const p = plan({
      defaults: { retry: { maximumAttempts: 3, initialInterval: '100ms' } },
      tasks: [
        { id: 'metadata', run: step('http://169.254.169.254/latest/meta-data/') },
        { id: 'redirect', run: step(`${base}/to-metadata`) },
        { id: 'image', run: step(`${base}/metadata-image`), output: 'json' },
      ],
      onFailure: 'continue',
    });
    const summary = await summaryOf(await startRun(client, p, { id: runId('browser-guard'), taskQueue: queue }));
    const refused = '169.254.169.254 is a link-local or cloud metadata address, which browser steps may not load';
    for (const id of ['metadata', 'redirect']) {
      expect(taskOf(summary, id)).toMatchObject({ status: 'failed', attempts: 1 });
      expect(taskOf(summary, id)?.error).toContain(refused);
    }
    expect(hits.get('/to-metadata')).toBe(1);
    expect(taskOf(summary, 'image')).toMatchObject({ status: 'succeeded' });
    expect(taskOf(summary, 'image')?.json).toMatchObject({
      title: 'img',
      status: 200,
      blocked: ['http://169.254.169.254/latest/meta-data/x.png'],
    });
    await client.connection.close();
  });
});

describe('browser step parts', () => {
  it('reads the extract syntax: page fields, text, attributes, all matches', () => {
    expect(parseExtract('title')).toEqual({ kind: 'page', what: 'title' });
    expect(parseExtract('h1')).toEqual({ kind: 'css', selector: 'h1', all: false });
    expect(parseExtract('meta[name=citation_doi]@content')).toEqual({
      kind: 'css',
      selector: 'meta[name=citation_doi]',
      attr: 'content',
      all: false,
    });
    expect(parseExtract('a@href[]')).toEqual({ kind: 'css', selector: 'a', attr: 'href', all: true });
    expect(parseExtract('a[href^="mailto:x@y.org"]')).toMatchObject({ selector: 'a[href^="mailto:x@y.org"]' });
  });

  it('refuses a bad PTQ_BROWSERS, and says in one line when there is no Chromium', async () => {
    expect(() => poolSettings({ PTQ_BROWSERS: '0' })).toThrow('PTQ_BROWSERS="0" is not a whole number from 1 to 64');
    expect(poolSettings({})).toEqual({ size: 2, executable: '/usr/bin/chromium', idleMs: 60_000 });
    const missing = { size: 1, executable: '/nowhere/chromium', idleMs: 1_000 };
    const line =
      'no Chromium at /nowhere/chromium: install it (Debian: apt-get install chromium) or set PTQ_CHROMIUM to its path';
    expect(describeBrowserPool(missing)).toBe(`browser steps: ${line}`);
    const failure = await browse(
      { url: 'http://127.0.0.1:9/' },
      new AbortController().signal,
      new BrowserPool(missing),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BrowserFailure);
    expect(failure).toMatchObject({ type: 'BrowserUnavailable', message: line });
  });
});
