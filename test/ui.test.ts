import { summaryOf } from '../src/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startRun } from '../src/client';
import { localUiOrigins, startCodecServer } from '../src/temporal/codecServer';
import { freePort, startDevServer, type DevServer } from '../src/temporal/devServer';
import { searchAttributes } from '../src/shared';
import { plan, runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { launchChromium } from './support/browser';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'ui');

const demo = plan({
  name: 'ui-demo',
  maxConcurrency: 2,
  defaults: { execution: 'child' }, // the UI shows each task's own workflow
  tasks: [
    { id: 'setup', title: 'Prepare workspace', run: { type: 'shell', command: ['echo', 'ready'] } },
    {
      id: 'deploy',
      title: 'Deploy to staging',
      dependsOn: ['setup'],
      retry: { maximumAttempts: 1 },
      run: { type: 'shell', command: ['node', '-e', 'console.error("deploy target unreachable"); process.exit(2)'] },
    },
    { id: 'report', title: 'Write report', dependsOn: ['setup'], run: { type: 'sleep', duration: '1s' } },
    { id: 'notify', title: 'Notify team', dependsOn: ['deploy'], run: { type: 'shell', command: ['echo', 'sent'] } },
  ],
});

describe('a run in the Temporal Web UI, seen in a real browser', () => {
  let server: DevServer;
  let browser: Browser;
  let codec: Awaited<ReturnType<typeof startCodecServer>>;
  const decodeCalls: string[] = [];
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const uiPort = await freePort();
    codec = await startCodecServer({ uiOrigins: localUiOrigins(uiPort) });
    codec.server.on('request', (req: IncomingMessage) => decodeCalls.push(`${req.method} ${req.url}`));
    [server, browser] = await Promise.all([startDevServer({ uiPort, uiCodecEndpoint: codec.url }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    codec?.server.close();
  });

  async function open(page: Page, path: string, shot: string): Promise<void> {
    await page.goto(`${server.uiUrl}${path}`);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`), fullPage: true });
  }

  /** The page's text including its iframes (the UI renders Markdown in sandboxed frames). */
  async function textIncluding(page: Page, needle: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const texts = await Promise.all(
        page.frames().map((f) =>
          f
            .locator('body')
            .innerText()
            .catch(() => ''),
        ),
      );
      const text = texts.join('\n');
      if (text.includes(needle) || Date.now() > deadline) return text;
      await page.waitForTimeout(200);
    }
  }

  it('shows the plan summary, live progress, the failed task with its error, and the child workflows', async () => {
    const id = runId('ui-demo');
    await withWorker(
      async ({ client, taskQueue }) => {
        const summary = await summaryOf(await startRun(client, demo, { id, taskQueue }));
        expect(summary.status).toBe('failed');

        const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
        await open(page, `/namespaces/default/workflows/${id}`, 'run-history');
        // Under load the UI may still be rendering after network idle: wait for the text, up to 20 s.
        await page.getByText('Deploy to staging').first().waitFor({ state: 'visible', timeout: 20_000 });

        await page.getByText('User Metadata').click();
        const metadata = await textIncluding(page, '4 of 4 done');
        await page.screenshot({ path: join(ARTIFACTS, 'run-metadata.png'), fullPage: true });
        expect(metadata).toContain('ui-demo, 4 tasks, 2 parallel');
        expect(metadata).toMatch(/failed \[#+\] 100% 4 of 4 done/);
        expect(metadata).toContain('succeeded: 2 · failed: 1 · skipped: 1 · M=2 · critical-path');
        expect(metadata).toMatch(/deploy: exit code 2: deploy target unreachable/);
        expect(metadata).toMatch(/Deploy to staging\s+Failed/);

        await page.getByText('Relationships').first().click();
        await page.getByText(`${id}/deploy`).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, 'run-children.png'), fullPage: true });
        const children = await page.innerText('main');
        for (const task of ['setup', 'deploy', 'report']) expect(children).toContain(`${id}/${task}`);

        // The run itself failed, so it looks failed (red), with its one-line outcome as the failure.
        await open(page, `/namespaces/default/workflows/${id}`, 'failed-run');
        await page.getByText('Failed').first().waitFor();
        await page.getByRole('tab', { name: /History/ }).click();
        const runHistory = await textIncluding(page, 'Workflow Execution Failed');
        await page.screenshot({ path: join(ARTIFACTS, 'failed-run.png'), fullPage: true });
        expect(runHistory).toContain('Workflow Execution Failed');
        expect(runHistory).toContain('ui-demo failed: 1 of 4 tasks failed, 1 skipped');

        await open(page, `/namespaces/default/workflows/${encodeURIComponent(`${id}/deploy`)}`, 'failed-task');
        await page.getByText('Failed').first().waitFor();
        await page.getByText('User Metadata').click();
        expect(await textIncluding(page, 'Deploy to staging')).toContain('Deploy to staging');
        await page.screenshot({ path: join(ARTIFACTS, 'failed-task-metadata.png'), fullPage: true });
        await page.getByRole('tab', { name: /History/ }).click();
        const history = await textIncluding(page, 'Workflow Execution Failed');
        await page.screenshot({ path: join(ARTIFACTS, 'failed-task-history.png'), fullPage: true });
        expect(history).toContain('Workflow Execution Failed');
        expect(history).toContain('exit code 2: deploy target unreachable');
        writeFileSync(join(ARTIFACTS, 'README.txt'), `screenshots of run ${id} in Temporal Web UI ${server.uiUrl}\n`);
      },
      { address: server.address },
    );
  });

  it('shows a big plan that ptq gzipped, decoded through the codec server', async () => {
    const id = runId('ui-big');
    // 300 tasks with long titles: about 200 KB of input, which the codec gzips.
    const big = plan({
      name: 'ui-big',
      maxConcurrency: 50,
      defaults: { execution: 'inline' },
      tasks: Array.from({ length: 300 }, (_, i) => ({
        id: `m${i}`,
        title: `Check mirror ${i} ${'of the package registry '.repeat(20)}`,
        run: { type: 'sleep', duration: 1 },
      })),
    });
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, big, { id, taskQueue });
        expect((await summaryOf(handle)).counts.succeeded).toBe(300);
        const { events } = await handle.fetchHistory();
        const input = events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe('binary/gzip');

        const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
        await open(page, `/namespaces/default/workflows/${id}`, 'big-plan');
        // Task 299 is past the 200 rows of the details table: only the decoded input holds its title.
        const text = await textIncluding(page, 'Check mirror 299');
        await page.screenshot({ path: join(ARTIFACTS, 'big-plan-input.png'), fullPage: true });
        expect(text).toContain('Check mirror 299');
        expect(decodeCalls).toContainEqual(expect.stringMatching(/^POST .*decode$/));
      },
      { address: server.address },
    );
  });

  it('finds runs by their search attributes, through the client and `ptq list`', async () => {
    const id = runId('ui-sa');
    await withWorker(
      async ({ client, taskQueue }) => {
        await summaryOf(await startRun(client, demo, { id, taskQueue }));
        const found = [];
        for await (const wf of client.workflow.list({
          query: `PtqStatus = 'failed' AND PtqPlan = 'ui-demo' AND PtqTasksDone = 4`,
        })) {
          found.push(wf);
        }
        const run = found.find((w) => w.workflowId === id);
        expect(run?.typedSearchAttributes.get(searchAttributes.total)).toBe(4);
        const listed = await ptq(['list', '--status', 'failed', '--json', '--address', server.address]);
        expect(JSON.parse(listed.stdout)).toContainEqual(
          expect.objectContaining({ id, status: 'failed', plan: 'ui-demo', done: 4, total: 4 }),
        );
        // For people: a header, how long each run took, and a filter by plan name.
        const table = await ptq(['list', '--plan', 'ui-demo', '--address', server.address]);
        const [header, ...rows] = table.stdout.trim().split('\n');
        expect(header.split(/\s{2,}/)).toEqual(['RUN', 'STATUS', 'DONE', 'STARTED (UTC)', 'TOOK', 'COST', 'PLAN']);
        expect(rows.find((r) => r.startsWith(id))).toMatch(
          / failed +4\/4 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[\d.]+m?s +- +ui-demo$/,
        );
        expect(rows.every((r) => r.endsWith('ui-demo'))).toBe(true);
        const none = await ptq(['list', '--plan', 'no-such-plan', '--address', server.address]);
        expect(none.stdout).toBe('no runs\n');
        // The summary says how the work spread over workers.
        const result = await ptq(['result', id, '--address', server.address]);
        expect(result.stdout).toMatch(/^ {2}workers: \S+ \d+ tasks? [\d.]+m?s busy/m);
      },
      { address: server.address },
    );
  });
});
