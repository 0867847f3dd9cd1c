import { summaryOf } from '../src/client';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../src/client';
import { getProgress, pauseRun, resumeRun } from '../src/client/control';
import type { ItemResult, RunSummary } from '../src/core';
import { taskWorkflowId } from '../src/shared';
import { generationsOf, plan, runId, withWorker } from './helpers';
import { connectClient } from '../src/client';
import { FakeLlm } from './support/fakeLlm';
import { attemptAlive, killWorkerHalfway, ledgerProblems, ledgerTask, readLedger } from './support/ledger';
import { startWorkerProcess, type WorkerProcess } from './support/workers';
import { ptq, ptqDevRun } from './support/cli';
import { runningWith, waitFor } from './support/processes';

jest.setTimeout(120_000);

/** Reads a map's results file: one `ItemResult` a line. */
function readResults(path: string): ItemResult[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ItemResult);
}

const taskOf = (s: RunSummary, id: string) => s.tasks.find((t) => t.id === id);

/** The results file a map reported (its path is the last line of `wc -l` in a dependent). */
function resultsPathOf(summary: RunSummary, dependent: string): string {
  return /(\S+results\.jsonl)/.exec(taskOf(summary, dependent)?.output ?? '')?.[1] as string;
}

/** A task that reports where the map's results file is, and how many lines it has. */
const countResults = (map: string) => ({
  id: `${map}-count`,
  dependsOn: [map],
  run: { type: 'shell' as const, command: ['wc', '-l', `{{tasks.${map}.results}}`] },
});

describe('map: dynamic fan-out on the real server', () => {
  let server: Server;
  let base: string;
  const llm = new FakeLlm();
  const dir = mkdtempSync(join(tmpdir(), 'ptq-map-'));

  beforeAll(async () => {
    // /u/N: 404 when N % 100 == 7, 300 ms late when N % 50 == 3, else 200 with {"n": N}.
    server = createServer((req, res) => {
      const n = Number(/\/u\/(\d+)/.exec(req.url ?? '')?.[1]);
      const reply = () =>
        n % 100 === 7
          ? res.writeHead(404).end('gone')
          : res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n }));
      if (n % 50 === 3) setTimeout(reply, 300);
      else reply();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.PTQ_PLANNER = 'openai';
    process.env.PTQ_BASE_URL = await llm.start();
    process.env.OPENAI_API_KEY = 'sk-test-map';
    process.env.PTQ_HTTP_ALLOW_HOSTS = '127.0.0.1';
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await llm.close();
    for (const k of ['PTQ_PLANNER', 'PTQ_BASE_URL', 'OPENAI_API_KEY', 'PTQ_HTTP_ALLOW_HOSTS']) delete process.env[k];
  });

  it('checks 1,000 URLs, tolerates the 404s, reports them and writes every result once', () =>
    withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        maxConcurrency: 50,
        params: { base: { default: base } },
        tasks: [
          {
            id: 'verify',
            output: 'json',
            map: { items: { range: [0, 1000] }, maxParallel: 50, toleratedFailures: '2%' },
            retry: { maximumAttempts: 1 },
            run: { type: 'http', url: '{{params.base}}/u/{{item}}', expectStatus: [200] },
          },
          countResults('verify'),
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-urls'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      const verify = taskOf(summary, 'verify');
      expect(verify?.output).toMatch(/^1000 items: 990 succeeded, 10 failed$/m);
      expect(verify?.output).toContain('item 7 (7):');
      const results = readResults(resultsPathOf(summary, 'verify-count'));
      expect(results.map((r) => r.index)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(results.filter((r) => !r.ok).map((r) => r.index)).toEqual([
        7, 107, 207, 307, 407, 507, 607, 707, 807, 907,
      ]);
      expect(results[3].json).toEqual({ n: 3 });
      expect(results[7].error).toMatch(/404/);
    }));

  it('fails a map whose failures pass the tolerance, cancelling the rest', () =>
    withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        maxConcurrency: 10,
        params: { base: { default: base } },
        tasks: [
          {
            id: 'verify',
            map: { items: { range: [0, 300] }, maxParallel: 5 },
            retry: { maximumAttempts: 1 },
            run: { type: 'http', url: '{{params.base}}/u/{{item}}' },
          },
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-fail'), taskQueue }));
      expect(summary.status).toBe('failed');
      expect(taskOf(summary, 'verify')?.status).toBe('failed');
      const verify = taskOf(summary, 'verify');
      expect(verify?.stop).toMatch(
        /^1 item failed when \d+ of 300 items had ended( and \d+ (was|were) running)?, over the 0 tolerated$/,
      );
      const { total, succeeded, failed, cancelled, notStarted } = verify?.items ?? {};
      expect([total, failed, succeeded! + failed! + cancelled! + notStarted!]).toEqual([300, 1, 300]);
      expect(verify?.error).toMatch(
        /^300 items: \d+ succeeded, 1 failed, (\d+ cancelled, )?\d+ not started \(stopped early: 1 item failed when/,
      );
    }));

  it('stops at the 3rd broken item (until): nothing starts after, sleeping items are killed', () =>
    withWorker(async ({ client, taskQueue }) => {
      const pids = mkdtempSync(join(dir, 'pids-'));
      const script = join(dir, 'item.js');
      // Items 1, 4 and 6 are broken; the others record their index and sleep. A broken item answers
      // once the sleepers before it have started (7, then 8 with item 10, then 9 with item 11), so a
      // slow machine can't end item 6 before item 11's process has recorded itself.
      writeFileSync(
        script,
        `const [i, dir] = process.argv.slice(2);
         const fs = require('fs');
         const after = { 1: 7, 4: 8, 6: 9 }[i];
         if (after) {
           const poll = setInterval(() => {
             if (fs.readdirSync(dir).length < after) return;
             clearInterval(poll);
             console.log(JSON.stringify({ broken: true }));
           }, 50);
         } else { fs.writeFileSync(dir + '/' + i, ''); setTimeout(() => {}, 60000); }`,
      );
      const p = plan({
        maxConcurrency: 20,
        tasks: [
          {
            id: 'scan',
            output: 'json',
            map: {
              items: { range: [0, 40] },
              maxParallel: 10,
              until: 'size(results.filter(r, r.ok && r.json.broken)) >= 3',
            },
            run: { type: 'shell', command: ['node', script, '{{index}}', pids] },
          },
          countResults('scan'),
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-until'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      expect(taskOf(summary, 'scan')).toMatchObject({
        items: { total: 40, succeeded: 3, failed: 0, cancelled: 9, notStarted: 28 },
        stop: 'until condition met when 3 of 40 items had ended and 9 were running',
      });
      expect(taskOf(summary, 'scan')?.output).toBe(
        '40 items: 3 succeeded, 0 failed, 9 cancelled, 28 not started ' +
          '(stopped early: until condition met when 3 of 40 items had ended and 9 were running)',
      );
      // Items 10 and 11 took the places of 1 and 4; nothing started after the 3rd broken item.
      const sleepers = readdirSync(pids);
      expect(sleepers).toHaveLength(9);
      await waitFor(() => sleepers.every((i) => runningWith(script, i, pids).length === 0) || undefined, 2_000);
      const results = readResults(resultsPathOf(summary, 'scan-count'));
      expect(results.map((r) => r.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(results.filter((r) => r.cancelled)).toHaveLength(9);
    }));

  it('keeps going only while a condition holds (while), counting failures', () =>
    withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        tasks: [
          {
            id: 'odd',
            map: { items: { range: [0, 20] }, maxParallel: 1, toleratedFailures: 100, while: 'failed < 3' },
            retry: { maximumAttempts: 1 },
            run: { type: 'shell', command: ['node', '-e', 'process.exit(Number(process.argv[1]) % 2)', '{{item}}'] },
          },
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-while'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      expect(taskOf(summary, 'odd')?.output).toMatch(
        /^20 items: 3 succeeded, 3 failed, 14 not started \(stopped early: while condition no longer held when 6 of 20 items had ended\)/,
      );
    }));

  it('reads items from every kind of source', () =>
    withWorker(async ({ client, taskQueue }) => {
      const csv = join(dir, 'people.csv');
      writeFileSync(csv, 'name,city\nAda,London\n"Grace, Rear Admiral",Arlington\n');
      const jsonl = join(dir, 'many.jsonl');
      writeFileSync(jsonl, Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n');
      llm.reply(
        { text: 'Sure! Here are the URLs.' },
        { text: '```json\n["https://a.example", "https://b.example"]\n```' },
      );
      const echo = (text: string) => ({ type: 'shell' as const, command: ['echo', text] });
      const p = plan({
        maxConcurrency: 8,
        params: { dir: { default: dir }, word: { default: 'a b; rm -rf $HOME' } },
        tasks: [
          {
            id: 'csv',
            map: { items: { file: '{{params.dir}}/people.csv' } },
            run: echo('{{item.name}} in {{item.city}}'),
          },
          { id: 'jsonl', map: { items: { file: jsonl }, maxParallel: 2, while: 'done < 4' }, run: echo('{{item.n}}') },
          { id: 'command', map: { items: { command: ['printf', 'x\\ny y\\n'] } }, run: echo('[{{item}}]') },
          {
            id: 'templated',
            dependsOn: ['extract'],
            map: { items: { command: ['printf', '%s\\n', '{{params.word}}', '{{tasks.extract.json.files[1]}}'] } },
            run: echo('{{item}}'),
          },
          { id: 'range', map: { items: { range: [0, 10, 3] } }, run: echo('{{item}}') },
          { id: 'llm', map: { items: { llm: { prompt: 'List the source URLs.' } } }, run: echo('{{item}}') },
          { id: 'empty', map: { items: [] }, run: echo('never') },
          { id: 'extract', output: 'json', run: echo('{"files": ["a.csv", "b.csv"]}') },
          {
            id: 'files',
            dependsOn: ['extract'],
            map: { items: '{{tasks.extract.json.files}}' },
            run: echo('{{item}}'),
          },
          { id: 'show', dependsOn: ['files'], run: echo('{{tasks.files.json}}') },
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-sources'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      const outputs = (id: string) =>
        (JSON.parse(taskOf(summary, 'show')?.output ?? '[]') as ItemResult[]).length && id;
      expect(outputs('show')).toBe('show');
      const shown = JSON.parse(taskOf(summary, 'show')?.output ?? '') as ItemResult[];
      expect(shown.map((r) => [r.item, r.output.trim()])).toEqual([
        ['a.csv', 'a.csv'],
        ['b.csv', 'b.csv'],
      ]);
      expect(taskOf(summary, 'csv')?.output).toMatch(/^2 items: 2 succeeded/);
      const csvLines = readResults(taskOf(summary, 'csv')?.results as string).map((r) => r.output.trim());
      expect(csvLines).toEqual(['Ada in London', 'Grace, Rear Admiral in Arlington']);
      expect(taskOf(summary, 'jsonl')?.output).toMatch(
        // At most one more item (maxParallel 2) was running when the 4th ended.
        /^50000 items: [45] succeeded, 0 failed, (1 cancelled, )?4999[56] not started \(stopped early: while condition no longer held when 4 of 50000 items had ended( and 1 was running)?\)$/,
      );
      expect(taskOf(summary, 'command')?.output).toMatch(/^2 items: 2 succeeded/);
      // Each argument filled in on its own, never through a shell.
      const templated = readResults(taskOf(summary, 'templated')?.results as string).map((r) => r.item);
      expect(templated).toEqual(['a b; rm -rf $HOME', 'b.csv']);
      expect(taskOf(summary, 'range')?.output).toMatch(/^4 items: 4 succeeded/);
      expect(taskOf(summary, 'llm')?.output).toMatch(/^2 items: 2 succeeded/);
      expect(readResults(taskOf(summary, 'llm')?.results as string).map((r) => r.item)).toEqual([
        'https://a.example',
        'https://b.example',
      ]);
      expect(summary.cost.tasks?.calls).toBe(2);
      expect(llm.requests).toHaveLength(2);
      expect(taskOf(summary, 'empty')?.output).toMatch(/^0 items: 0 succeeded/);
    }));

  it('stops when the model says so (until: llm), asking every N items and counting the cost', () =>
    withWorker(async ({ client, taskQueue }) => {
      llm.reply({ text: 'No, 2 sources are left.' }, { text: 'Yes.' });
      const p = plan({
        tasks: [
          {
            id: 'sources',
            map: {
              items: { range: [0, 20] },
              maxParallel: 1,
              until: { llm: { prompt: 'Have all sources been verified?', every: 2 } },
            },
            run: { type: 'shell', command: ['echo', 'source {{item}} verified'] },
          },
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-until-llm'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      expect(taskOf(summary, 'sources')?.output).toMatch(
        /^20 items: [45] succeeded, .*\(stopped early: until \(model\) said stop when 4 of 20 items had ended/,
      );
      expect(llm.requests).toHaveLength(2);
      const asked = JSON.stringify(llm.requests[1].body.messages);
      expect(asked).toContain('Have all sources been verified?');
      expect(asked).toContain('4 of 20 items done');
      expect(asked).toContain('source 3 verified');
      expect(summary.cost.tasks?.calls).toBe(2);
    }));

  it('runs tiny items in batches (batch: 10): one activity per 10 items, each item reported on its own', () =>
    withWorker(async ({ client, taskQueue }) => {
      const id = runId('map-batch');
      const p = plan({
        maxConcurrency: 20,
        tasks: [
          {
            id: 'each',
            map: { items: { range: [0, 100] }, maxParallel: 20, batch: 10, toleratedFailures: 1 },
            run: { type: 'shell', command: ['sh', '-c', '[ "$1" != 42 ] && echo "item $1"', 'sh', '{{index}}'] },
          },
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id, taskQueue }));
      expect(summary.status).toBe('succeeded');
      expect(taskOf(summary, 'each')?.output).toMatch(
        /^100 items: 99 succeeded, 1 failed\n {2}item 42 \(42\): exit code 1/,
      );
      const results = readResults(taskOf(summary, 'each')?.results as string);
      expect(results.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(results[7].output.trim()).toBe('item 7');
      const history = await client.workflow.getHandle(taskWorkflowId(id, 'each')).fetchHistory();
      const batches = (history.events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runItemBatch',
      );
      expect(batches).toHaveLength(10);
    }));

  it("gives runs `x` and `x//m` folders of their own: a map named results.jsonl leaves x's results alone", () =>
    withWorker(async ({ client, taskQueue }) => {
      const x = runId('alias');
      const echo = (tag: string) => ({ type: 'shell' as const, command: ['echo', `${tag} {{index}}`] });
      const mapPlan = (task: string, tag: string, n: number) =>
        plan({ tasks: [{ id: task, map: { items: { range: [0, n] } }, run: echo(tag) }] });
      const outputs = (path: string) => readResults(path).map((r) => r.output.trim());
      const first = await summaryOf(await startRun(client, mapPlan('m', 'x', 3), { id: x, taskQueue }));
      const xResults = taskOf(first, 'm')?.results as string;
      expect(outputs(xResults)).toEqual(['x 0', 'x 1', 'x 2']);
      const others: string[] = [];
      for (const id of [`${x}//m`, `${x}//m//`]) {
        const summary = await summaryOf(await startRun(client, mapPlan('results.jsonl', id, 2), { id, taskQueue }));
        expect(summary.status).toBe('succeeded');
        const path = taskOf(summary, 'results.jsonl')?.results as string;
        expect(outputs(path)).toEqual([`${id} 0`, `${id} 1`]);
        others.push(path);
      }
      // Each run has one folder under runs/, the whole id escaped in its name.
      const root = join(process.env.PTQ_DATA_DIR as string, 'runs');
      expect([xResults, ...others]).toEqual([
        join(root, x, 'm', 'results.jsonl'),
        join(root, `${x}%2F%2Fm`, 'results.jsonl', 'results.jsonl'),
        join(root, `${x}%2F%2Fm%2F%2F`, 'results.jsonl', 'results.jsonl'),
      ]);
      expect(outputs(xResults)).toEqual(['x 0', 'x 1', 'x 2']);
    }));

  it('fails on a malformed source line, naming the line', () =>
    withWorker(async ({ client, taskQueue }) => {
      const bad = join(dir, 'bad.jsonl');
      const lines = Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ n: i }));
      lines[4_811] = '{"n": 4811,';
      writeFileSync(bad, lines.join('\n'));
      const p = plan({
        tasks: [{ id: 'bad', map: { items: { file: bad } }, run: { type: 'shell', command: ['true'] } }],
      });
      const summary = await summaryOf(await startRun(client, p, { id: runId('map-bad'), taskQueue }));
      expect(summary.status).toBe('failed');
      expect(taskOf(summary, 'bad')?.error).toMatch(/bad\.jsonl line 4812 is not JSON/);
    }));

  it('continues as new in the middle of a map without losing or repeating an item', () =>
    withWorker(async ({ client, taskQueue }) => {
      const id = runId('map-can');
      const p = plan({
        maxConcurrency: 4,
        tasks: [
          {
            id: 'each',
            map: { items: { range: [0, 30] }, maxParallel: 4 },
            run: { type: 'shell', command: ['echo', '{{index}}'] },
          },
          countResults('each'),
        ],
      });
      const summary = await summaryOf(await startRun(client, p, { id, taskQueue, continueAsNewAfter: 7 }));
      expect(summary.status).toBe('succeeded');
      const results = readResults(resultsPathOf(summary, 'each-count'));
      expect(results.map((r) => Number(r.output.trim()))).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect((await generationsOf(client, taskWorkflowId(id, 'each'))).length).toBeGreaterThanOrEqual(4);
    }));
});

/** Most attempts alive at once in a ledger, from their recorded start and last times. */
function peakOverlap(attempts: Array<{ start: number; last: number }>): number {
  const edges = attempts.flatMap((a) => [
    [a.start, 1],
    [a.last, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d));
  return peak;
}

describe('map example', () => {
  it('runs examples/links.yaml end to end with ptq dev', async () => {
    const r = await ptqDevRun('examples/links.yaml');
    expect(r.stdout).toMatch(/links \(links-\S+\): SUCCEEDED/);
    expect(r.stdout).toMatch(/verify\s+succeeded/);
    expect(r.code).toBe(0);
  });
});

describe('map: live control', () => {
  it('shows its own bar in status, follows set-concurrency --task, pause and resume', () =>
    withWorker(async ({ client, taskQueue }) => {
      const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-map-live-')), 'ledger');
      const id = runId('map-live');
      const p = plan({
        maxConcurrency: 10,
        tasks: [
          { ...ledgerTask('i{{index}}', ledger, 10), id: 'each', map: { items: { range: [0, 60] }, maxParallel: 2 } },
        ],
      });
      const handle = await startRun(client, p, { id, taskQueue });
      await waitFor(() => readLedger(ledger).length >= 2 || undefined);
      const status = await ptq(['status', id]);
      expect(status.stdout).toMatch(/▶ each .*\n\s+\[[#-]+\] \d+% \d+\/60 items {2}\d running {2}0 failed {2}max 2/);
      const json = JSON.parse((await ptq(['status', id, '--json'])).stdout);
      expect(json.running[0].items).toMatchObject({ total: 60, maxParallel: 2 });
      const before = readLedger(ledger).length;
      const changed = await ptq(['set-concurrency', id, '--task', 'each', '6']);
      expect(changed.stdout).toContain('map each runs up to 6 items at once');
      const changedAt = Date.now();
      await waitFor(() => readLedger(ledger).length >= before + 8 || undefined);
      // Through the client, not the CLI: on a loaded machine a CLI start can take seconds.
      await pauseRun(client, id);
      // The run passes the pause on to the map: from when the map reports it, nothing new starts.
      await waitFor(async () => (await getProgress(client, id)).running[0]?.items?.paused || undefined);
      const pausedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_500));
      const startedWhilePaused = readLedger(ledger).filter((a) => a.start > pausedAt + 500);
      expect(startedWhilePaused).toEqual([]);
      await resumeRun(client, id);
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      const attempts = readLedger(ledger);
      expect(attempts).toHaveLength(60);
      expect(peakOverlap(attempts.filter((a) => a.last < changedAt))).toBeLessThanOrEqual(2);
      expect(peakOverlap(attempts)).toBeLessThanOrEqual(6);
      expect(peakOverlap(attempts.filter((a) => a.start > changedAt))).toBeGreaterThan(2);
      const refused = await ptq(['set-concurrency', id, '--task', 'nope', '3']);
      expect(refused.stderr).toMatch(/has ended|no running map task/);
    }));
});

describe('map under a worker crash', () => {
  const workers: WorkerProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.child.kill('SIGKILL');
  });

  it('kill -9 of the worker halfway: every item ends once and is in the results file once', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-map-kill-')), 'ledger');
    const queue = `map-kill-${runId('q')}`;
    workers.push(await startWorkerProcess(queue));
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const n = 48;
    const p = plan({
      maxConcurrency: 8,
      defaults: { heartbeatTimeout: '2s', retry: { maximumAttempts: 10, initialInterval: '100ms' } },
      tasks: [
        { ...ledgerTask('i{{index}}', ledger, 4), id: 'each', map: { items: { range: [0, n] }, maxParallel: 8 } },
      ],
    });
    const handle = await startRun(client, p, { id: runId('map-kill'), taskQueue: queue });
    const { killedAt, orphans } = await killWorkerHalfway(workers, queue, ledger, n);
    const summary = await summaryOf(handle);
    expect(summary.status).toBe('succeeded');
    expect(orphans.filter(attemptAlive)).toEqual([]);
    const ids = Array.from({ length: n }, (_, i) => `i${i}`);
    expect(ledgerProblems(readLedger(ledger), ids, killedAt)).toEqual([]);
    const results = readResults(taskOf(summary, 'each')?.results as string);
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(results.every((r) => r.ok)).toBe(true);
    // The counts in the summary agree: no item lost or counted twice across the crash.
    expect(taskOf(summary, 'each')?.items).toEqual({ total: n, succeeded: n, failed: 0, cancelled: 0, notStarted: 0 });
    expect(taskOf(summary, 'each')?.stop).toBeUndefined();
    await client.connection.close();
  });
});
