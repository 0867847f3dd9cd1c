import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../src/temporal/devServer';
import { runId, withWorker } from './helpers';
import { launchChromium } from './support/browser';
import { spawnPtq } from './support/cli';
import { waitFor } from './support/processes';

const TOKEN = 'dash-token-51c0e2';
const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'dashboard');
let base: string;
let server: ChildProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'ptq-dash-'));
  writeFileSync(join(dir, 'token'), TOKEN);
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

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: JSON.parse(await res.text()) };
}

/** A browser context that took the token once through the address, as a person would. */
async function signedIn(colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${base}/ui/?access_token=${TOKEN}`);
  expect(page.url()).toBe(`${base}/ui/`); // the token left the address
  await page.close();
  return context;
}

const shell = (script: string) => ({ type: 'shell', command: ['sh', '-c', script] });

/** A run with a failed task (retried once), a skipped dependent, a group with phases, a 12-item map and finally. */
function demoPlan() {
  return {
    name: 'dash-demo',
    maxConcurrency: 3,
    groups: { api: { before: [shell('echo migrate')] } },
    tasks: [
      { id: 'setup', title: 'Prepare', run: shell('echo ready') },
      { id: 'api-build', group: 'api', dependsOn: ['setup'], run: shell('echo built') },
      { id: 'api-test', group: 'api', dependsOn: ['api-build'], run: shell('echo tested') },
      {
        id: 'deploy',
        dependsOn: ['setup'],
        retry: { maximumAttempts: 2, initialInterval: '200ms' },
        run: shell('echo "target unreachable" >&2; exit 2'),
      },
      { id: 'notify', dependsOn: ['deploy'], run: shell('echo sent') },
      {
        id: 'fanout',
        dependsOn: ['setup'],
        map: { items: { range: [0, 12] }, maxParallel: 4 },
        run: { type: 'shell', command: ['echo', '{{item}}'] },
      },
    ],
    finally: [{ id: 'cleanup', run: shell('echo clean') }],
  };
}

/** The run page's nodes as the DOM has them: task id -> data-status. */
async function nodeStatuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-task]', (nodes) =>
    Object.fromEntries(nodes.map((n) => [n.getAttribute('data-task'), n.getAttribute('data-status')])),
  );
}

describe('the dashboard of ptq serve, in headless Chromium', () => {
  it('draws an ended run: every node with its status, a bar per started task, the map at 12 of 12', async () => {
    await withWorker(async ({ taskQueue }) => {
      const id = runId('dash');
      expect((await api('POST', '/runs', { id, plan: demoPlan(), taskQueue })).status).toBe(201);
      await waitFor(async () => ((await api('GET', `/runs/${id}`)).json.summary ? true : undefined), 60_000);
      const rows: Array<{ id: string; status: string; startedAt: string | null }> = (
        await api('GET', `/runs/${id}/tasks`)
      ).json.tasks;

      for (const scheme of ['light', 'dark'] as const) {
        const context = await signedIn(scheme);
        const page = await context.newPage();
        await page.goto(`${base}/ui/runs/${id}`);
        await page.waitForSelector('[data-task="cleanup"]');
        await page.waitForSelector('[data-map-count]');
        const statuses = await nodeStatuses(page);
        expect(statuses).toEqual(Object.fromEntries(rows.map((r) => [r.id, r.status])));
        expect(statuses).toMatchObject({
          setup: 'succeeded',
          deploy: 'failed',
          notify: 'skipped',
          'api:before': 'succeeded',
          'api-build': 'succeeded',
          'api-test': 'succeeded',
          fanout: 'succeeded',
          cleanup: 'succeeded',
        });
        // Status is a word and a sign too, not colour alone.
        expect(await page.textContent('[data-task="deploy"]')).toContain('failed');
        expect(await page.$$eval('[data-group="api"]', (g) => g.length)).toBe(1);
        const bars = await page.$$eval('[data-gantt-task]', (b) => b.map((e) => e.getAttribute('data-gantt-task')));
        expect(bars.sort()).toEqual(
          rows
            .filter((r) => r.startedAt)
            .map((r) => r.id)
            .sort(),
        );
        expect(bars).not.toContain('notify');
        // deploy ran twice: its bar has two segments.
        expect(await page.$$eval('[data-gantt-task="deploy"] [data-attempt]', (s) => s.length)).toBe(2);
        expect(await page.textContent('[data-map="fanout"] [data-map-count]')).toBe('12 of 12');
        expect(await page.textContent('[data-task="fanout"]')).toContain('12 of 12');
        expect(await page.textContent('.strip')).toContain('failed');

        // The keyboard opens a task: its panel has the error and the output.
        await page.focus('[data-task="deploy"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-panel-status="failed"]');
        await waitFor(async () =>
          (await page.textContent('.panel'))?.includes('target unreachable') ? true : undefined,
        );
        await page.keyboard.press('Escape');
        expect(await page.$('.panel')).toBeNull();

        await page.screenshot({ path: join(ARTIFACTS, `run-${scheme}.png`), fullPage: true });
        if (scheme === 'light') {
          // Retry failed: a new run of what failed, which the page then shows.
          await page.click('button:has-text("Retry failed")');
          await page.click('dialog [data-confirm]');
          await page.waitForURL((url) => url.pathname.startsWith('/ui/runs/') && !url.pathname.endsWith(id));
          const retried = decodeURIComponent(new URL(page.url()).pathname.slice('/ui/runs/'.length));
          await page.waitForSelector('[data-task="deploy"]');
          const listed = (await api('GET', '/runs?plan=dash-demo')).json as Array<{ id: string; retryOf: string }>;
          expect(listed.find((r) => r.id === retried)?.retryOf).toBe(id);
          await api('POST', `/runs/${retried}/cancel`, {});
          await page.goto(`${base}/ui/`);
          await page.waitForSelector(`[data-run="${id}"]`);
          await page.screenshot({ path: join(ARTIFACTS, 'runs.png'), fullPage: true });
        }
        await context.close();
      }
    });
  });

  it('follows a live run: a node turns from running to succeeded without a reload', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'ptq-dash-gate-')), 'go');
    await withWorker(async ({ taskQueue }) => {
      const id = runId('dash-live');
      const plan = {
        name: 'dash-live',
        tasks: [
          {
            id: 'slow',
            run: shell(`echo "waiting for the gate"; while [ ! -e ${gate} ]; do sleep 0.1; done; echo through`),
          },
          { id: 'after', dependsOn: ['slow'], run: shell('echo after') },
        ],
      };
      expect((await api('POST', '/runs', { id, plan, taskQueue })).status).toBe(201);
      const context = await signedIn();
      const page = await context.newPage();
      const seen: string[] = [];
      await page.exposeFunction('statusChanged', (task: string, status: string) => seen.push(`${task} ${status}`));
      await page.goto(`${base}/ui/runs/${id}`);
      await page.waitForSelector('[data-task="slow"][data-status="running"]');
      await page.evaluate(`
        window.sameDocument = true;
        new MutationObserver((changes) => {
          for (const c of changes) statusChanged(c.target.getAttribute('data-task'), c.target.getAttribute('data-status'));
        }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
      `);
      // Its panel shows what the running step wrote so far, as `ptq logs -f` does.
      await page.click('[data-task="slow"]');
      await page.waitForSelector('[data-panel-status="running"]');
      await waitFor(async () =>
        (await page.textContent('[data-log]'))?.includes('waiting for the gate') ? true : undefined,
      );
      writeFileSync(gate, '');
      await page.waitForSelector('[data-task="after"][data-status="succeeded"]', { timeout: 30_000 });
      await waitFor(async () => ((await page.textContent('[data-log]'))?.includes('through') ? true : undefined));
      expect(seen).toContain('slow succeeded');
      expect(seen.indexOf('slow succeeded')).toBeLessThan(seen.indexOf('after succeeded'));
      expect(await page.evaluate('window.sameDocument')).toBe(true);
      await waitFor(async () =>
        (await page.getAttribute('.strip', 'data-run-status')) === 'succeeded' ? true : undefined,
      );
      await context.close();
    });
  });

  it('pauses, sets concurrency and cancels a run from the page, each after asking', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'ptq-dash-gate-')), 'never');
    await withWorker(async ({ taskQueue }) => {
      const id = runId('dash-cancel');
      const plan = {
        name: 'dash-cancel',
        tasks: [{ id: 'wait', run: shell(`while [ ! -e ${gate} ]; do sleep 0.1; done`) }],
      };
      expect((await api('POST', '/runs', { id, plan, taskQueue })).status).toBe(201);
      const context = await signedIn();
      const page = await context.newPage();
      await page.goto(`${base}/ui/runs/${id}`);
      await page.waitForSelector('[data-task="wait"][data-status="running"]');
      await page.click('button:has-text("Pause")');
      await page.click('dialog [data-confirm]');
      await waitFor(async () => ((await api('GET', `/runs/${id}`)).json.progress?.paused ? true : undefined));
      await page.fill('#m', '3');
      await page.click('button:has-text("Set")');
      await page.click('dialog [data-confirm]');
      await waitFor(async () => (await api('GET', `/runs/${id}`)).json.progress?.maxConcurrency === 3 || undefined);
      await page.waitForSelector('button:has-text("Resume")');
      await page.click('button:has-text("Cancel run")');
      await page.waitForSelector('dialog[open]');
      expect((await api('GET', `/runs/${id}`)).json.status).toBe('running'); // nothing sent before the confirmation
      await page.click('dialog [data-confirm]');
      const ended = await waitFor(async () => {
        const r = await api('GET', `/runs/${id}`);
        return r.json.summary ? r.json : undefined;
      }, 30_000);
      expect(ended).toMatchObject({ status: 'cancelled', summary: { reason: 'cancelled from the dashboard' } });
      await page.waitForSelector('.strip[data-run-status="cancelled"]', { timeout: 30_000 });
      await page.waitForSelector('[data-task="wait"][data-status="cancelled"]');
      await context.close();
    });
  });

  it('shows no run data without the token, keeps it in an HttpOnly SameSite=Strict cookie, and checks a plan', async () => {
    const listing = (await api('GET', '/runs?limit=5')).json as Array<{ id: string; plan: string }>;
    expect(listing.length).toBeGreaterThan(0);
    const anon = await browser.newContext();
    const page = await anon.newPage();
    for (const path of ['/ui/', `/ui/runs/${listing[0].id}`, `/ui/runs/${listing[0].id}?access_token=wrong`]) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector('input[name="token"]');
      const html = await page.content();
      for (const r of listing) expect(html).not.toContain(r.id);
      expect(html).not.toContain('dash-demo');
      expect(await page.$$('[data-task], [data-run], [data-gantt-task]')).toEqual([]);
    }
    expect(page.url()).not.toContain('access_token');
    // The form takes the token and comes back to the page asked for.
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]:has-text("Open")');
    await page.waitForSelector('[data-task]');
    expect(page.url()).toBe(`${base}/ui/runs/${listing[0].id}`);
    const [cookie] = await anon.cookies();
    expect(cookie).toMatchObject({ name: 'ptq_token', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).toBe('');
    // A change made on the cookie alone needs the dashboard's header (another site's form cannot send it).
    const forged = await fetch(`${base}/runs/${listing[0].id}/pause`, {
      method: 'POST',
      headers: { cookie: `ptq_token=${TOKEN}` },
    });
    expect(forged.status).toBe(403);

    await page.goto(`${base}/ui/plan`);
    await page.fill('#plan-text', JSON.stringify(demoPlan(), null, 2));
    await page.click('button:has-text("Check")');
    await page.waitForSelector('[data-check="ok"] [data-policy="critical-path"]');
    // The same schedule and bound as `ptq validate`: 6.0s against 6.0s.
    expect(await page.textContent('[data-policy="critical-path"]')).toContain('1.000×');
    expect(await page.$$eval('[data-check="ok"] [data-task]', (n) => n.length)).toBe(8);
    await page.screenshot({ path: join(ARTIFACTS, 'plan.png'), fullPage: true });
    await page.fill('#plan-text', '{"tasks": [{"id": "a", "dependsOn": ["b"]}]}');
    await page.click('button:has-text("Check")');
    await page.waitForSelector('[data-check="problems"]');
    expect(await page.textContent('[data-check="problems"]')).toMatch(/b/);
    await anon.close();
  });
});
