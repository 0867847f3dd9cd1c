import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { createApi } from '../src/api/app';
import { startRun } from '../src/client';
import { Plan } from '../src/core';
import type { BenchContext, Rows } from './support';

const TOKEN = 'bench-dashboard';
/** The big run's page as it ended, next to the test's screenshots. */
const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'dashboard');
const LEVELS = 40;
const WIDTH = 50;

/**
 * The dashboard on a 2,000-task run (40 levels of 50, each task after two of the level before),
 * followed live in headless Chromium: how long the run page takes to draw, the longest the page's
 * main thread is blocked while events stream in, and how long after the run ends the page says so.
 */
export async function dashboard({ client, taskQueue, quick }: BenchContext): Promise<Rows> {
  const levels = quick ? 10 : LEVELS;
  const n = levels * WIDTH;
  const tasks = Array.from({ length: n }, (_, i) => {
    const level = Math.floor(i / WIDTH);
    const k = i % WIDTH;
    const prev = (j: number) => `t${(level - 1) * WIDTH + (j % WIDTH)}`;
    return {
      id: `t${i}`,
      dependsOn: level ? [...new Set([prev(k), prev(k * 7 + 3)])] : [],
      run: { type: 'sleep' as const, duration: '300ms' },
    };
  });
  const plan = Plan.parse({ name: 'dashboard-bench', maxConcurrency: 40, tasks });
  const app = createApi(client, { token: TOKEN, taskQueue, maxBodyBytes: 1 << 20 });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  try {
    const handle = await startRun(client, plan, { taskQueue });
    const id = handle.workflowId;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/ui/?access_token=${TOKEN}`);
    await waitUntil(
      async () =>
        ((await (await fetch(`${base}/runs/${id}/tasks`, auth())).json()) as { tasks?: unknown[] }).tasks?.length === n,
    );
    const t0 = Date.now();
    await page.goto(`${base}/ui/runs/${id}`);
    await page.waitForSelector('[data-bucket]');
    await page.waitForSelector('.strip[data-run-status="running"]');
    const loadMs = Date.now() - t0;
    await page.evaluate(`
      window.longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.longest = Math.max(window.longest, e.duration);
      }).observe({ type: 'longtask', buffered: false });
    `);
    let endedAt = 0;
    await waitUntil(async () => {
      const view = (await (await fetch(`${base}/runs/${id}`, auth())).json()) as { summary?: unknown };
      if (view.summary) endedAt = Date.now();
      return Boolean(view.summary);
    }, 600_000);
    await page.waitForFunction(`document.querySelector('.strip')?.textContent.includes('${n} of ${n}')`, undefined, {
      timeout: 120_000,
    });
    const shownMs = Date.now() - endedAt;
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `run-${n}-tasks.png`), fullPage: true });
    const longest = Number(await page.evaluate('window.longest'));
    const row = (what: string, ms: number) => [what, ms.toFixed(0), '–', '–', ''];
    return [
      row(`dashboard: ${n}-task run page drawn, ms`, loadMs),
      row(`dashboard: longest main-thread block while following it live, ms`, longest),
      row(`dashboard: run ended -> page shows ${n} of ${n}, ms`, shownMs),
    ];
  } finally {
    await browser.close();
    server.close();
  }
}

const auth = () => ({ headers: { authorization: `Bearer ${TOKEN}` } });

async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('dashboard bench: timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
