import { summaryOf } from '../src/client';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../src/client';
import { cancelRun } from '../src/client/control';
import { plan, runId, withWorker } from './helpers';
import { ptq, ptqDevRun } from './support/cli';
import { FakeLlm } from './support/fakeLlm';
import { readPid, waitFor, alive, writePid } from './support/processes';

/** Values flowing between tasks on the real server, through real processes and a real HTTP server. */
describe('data flow between tasks', () => {
  let server: Server;
  let base: string;
  const requests: Array<{ url?: string; headers: IncomingHttpHeaders; body: string }> = [];
  const llm = new FakeLlm();
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests.push({ url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: body.length }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.PTQ_PLANNER = 'openai';
    process.env.PTQ_BASE_URL = await llm.start();
    process.env.OPENAI_API_KEY = 'sk-test-dataflow';
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await llm.close();
    delete process.env.PTQ_PLANNER;
    delete process.env.PTQ_BASE_URL;
    delete process.env.OPENAI_API_KEY;
  });

  it.each(['child', 'inline'] as const)(
    'substitutes outputs, params and ids into every step field (%s), hostile values staying data',
    async (execution) => {
      const dir = mkdtempSync(join(tmpdir(), 'ptq-flow-'));
      const hostile = `x; touch ${dir}/pwned $(touch ${dir}/pwned2) \`touch ${dir}/pwned3\` "q" 'q'\nline2`;
      llm.reply({ text: 'summarized' });
      const received: unknown[] = [];
      const p = plan({
        defaults: { execution, retry: { maximumAttempts: 1 } },
        params: { evil: {}, env: { default: 'staging' } },
        tasks: [
          {
            id: 'extract',
            output: 'json',
            run: { type: 'shell', command: ['echo', '{"files": ["a b.csv", "c.csv"], "user": {"id": 7}}'] },
          },
          {
            id: 'argv',
            dependsOn: ['extract'],
            run: {
              type: 'shell',
              command: [
                'sh',
                '-c',
                'printf "%s|%s|%s|%s" "$1" "$2" "$PWD" "$TARGET"',
                'sh',
                '{{tasks.extract.json.files[0]}}',
                '{{params.evil}}',
              ],
              cwd: dir,
              env: { TARGET: '{{params.env}}-{{task.id}}-{{task.attempt}}' },
            },
          },
          {
            id: 'post',
            dependsOn: ['extract'],
            run: {
              type: 'http',
              method: 'POST',
              url: `${base}/users/{{tasks.extract.json.user.id}}?run={{run.id}}`,
              headers: { 'x-env': '{{params.env}}' },
              body: '{{tasks.extract.json}}',
            },
          },
          {
            id: 'ask',
            dependsOn: ['extract'],
            run: { type: 'llm', system: 'You help {{params.env}}.', prompt: 'Summarize {{tasks.extract.output}}' },
          },
          {
            id: 'call',
            dependsOn: ['extract'],
            run: {
              type: 'activity',
              name: 'capture',
              input: { user: '{{tasks.extract.json.user}}', n: '{{tasks.extract.json.user.id}}' },
            },
          },
        ],
      });
      await withWorker(
        async ({ client, taskQueue }) => {
          const id = runId(`flow-${execution}`);
          const handle = await startRun(client, p, { id, taskQueue, params: { evil: hostile, env: 'staging' } });
          const summary = await summaryOf(handle);
          const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
          expect(summary.status).toBe('succeeded');
          expect(summary.params).toEqual({ evil: hostile, env: 'staging' });
          expect(byId.extract.json).toEqual({ files: ['a b.csv', 'c.csv'], user: { id: 7 } });
          // Each value stayed one argv element; nothing it contains ran.
          expect(byId.argv.output).toBe(`a b.csv|${hostile}|${dir}|staging-argv-1`);
          for (const f of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(dir, f))).toBe(false);
          const post = requests.find((r) => r.url === `/users/7?run=${id}`);
          expect(post?.headers['x-env']).toBe('staging');
          expect(JSON.parse(post?.body ?? '')).toEqual({ files: ['a b.csv', 'c.csv'], user: { id: 7 } });
          const messages = JSON.stringify(llm.requests[llm.requests.length - 1].body.messages);
          expect(messages).toContain('You help staging.');
          expect(messages).toContain('Summarize {\\"files\\"');
          expect(received).toEqual([{ user: { id: 7 }, n: 7 }]);
        },
        { activities: { capture: async (input: unknown) => void received.push(input) } },
      );
    },
  );

  it('fails a task whose output is not JSON, saying where', async () => {
    const p = plan({
      defaults: { retry: { maximumAttempts: 1 } },
      tasks: [
        { id: 'extract', output: 'json', run: { type: 'shell', command: ['printf', '{\\n "a": 1,\\n "b": }\\n'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const summary = await summaryOf(await startRun(client, p, { id: runId('notjson'), taskQueue }));
      expect(summary.tasks[0].status).toBe('failed');
      expect(summary.tasks[0].error).toMatch(/^output is not JSON: Unexpected token '}' at line 3/);
      expect(summary.tasks[0].attempts).toBe(1);
    });
  });

  it("passes a user activity's JSON on, and fails one over the JSON cap with the sizes", async () => {
    const p = plan({
      jsonOutputLimit: 100,
      tasks: [
        { id: 'small', output: 'json', run: { type: 'activity', name: 'make', input: { bytes: 10 } } },
        { id: 'big', output: 'json', run: { type: 'activity', name: 'make', input: { bytes: 500 } } },
        { id: 'next', dependsOn: ['small'], run: { type: 'shell', command: ['echo', '{{tasks.small.json.text}}'] } },
      ],
    });
    const make = async ({ bytes }: { bytes: number }) => ({ text: 'x'.repeat(bytes) });
    await withWorker(
      async ({ client, taskQueue }) => {
        const summary = await summaryOf(await startRun(client, p, { id: runId('activity-json'), taskQueue }));
        const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
        expect(byId.small).toMatchObject({ status: 'succeeded', json: { text: 'x'.repeat(10) } });
        expect(byId.next.output?.trim()).toBe('x'.repeat(10));
        expect(byId.big.status).toBe('failed');
        expect(byId.big.error).toMatch(/^JSON output is 511 bytes, over the 100 byte cap \(jsonOutputLimit\)/);
      },
      { activities: { make: make as (input: unknown) => Promise<unknown> } },
    );
  });

  it('runs or skips on conditions; runIf always and failure react to a failure and a cancel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-runif-'));
    const p = plan({
      params: { env: { default: 'dev' } },
      defaults: { retry: { maximumAttempts: 1 } },
      tasks: [
        { id: 'check', output: 'json', run: { type: 'shell', command: ['echo', '{"healthy": true, "errors": 0}'] } },
        {
          id: 'deploy',
          dependsOn: ['check'],
          when: 'tasks.check.json.healthy && params.env == "prod"',
          run: { type: 'shell', command: ['true'] },
        },
        {
          id: 'smoke',
          dependsOn: ['check'],
          when: 'tasks.check.json.errors == 0',
          run: { type: 'shell', command: ['true'] },
        },
        { id: 'broken', run: { type: 'shell', command: ['false'] } },
        {
          id: 'long',
          execution: 'child', // cancelled below through its own workflow, as from the Web UI
          run: { type: 'shell', command: ['sh', '-c', `${writePid(`${dir}/long.pid`)}; exec sleep 600`] },
        },
        {
          id: 'cleanup',
          dependsOn: ['broken', 'long'],
          runIf: 'always',
          run: { type: 'shell', command: ['echo', 'cleaned'] },
        },
        { id: 'alert', dependsOn: ['broken'], runIf: 'failure', run: { type: 'shell', command: ['echo', 'alerted'] } },
        {
          id: 'after-long',
          dependsOn: ['long'],
          runIf: 'failure',
          run: { type: 'shell', command: ['echo', 'long was cancelled'] },
        },
        { id: 'quiet', dependsOn: ['check'], runIf: 'failure', run: { type: 'shell', command: ['true'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('runif'), taskQueue, maxConcurrency: 8 });
      await readPid(join(dir, 'long.pid'));
      await client.workflow.getHandle(`${handle.workflowId}/long`).cancel(); // as from the Web UI
      const summary = await summaryOf(handle);
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      expect(byId.deploy).toMatchObject({
        status: 'skipped',
        reason: 'condition false: tasks.check.json.healthy && params.env == "prod"',
      });
      expect(byId.smoke.status).toBe('succeeded');
      expect(byId.cleanup).toMatchObject({ status: 'succeeded', output: 'cleaned\n' });
      expect(byId.alert).toMatchObject({ status: 'succeeded', output: 'alerted\n' });
      expect(byId['after-long'].status).toBe('succeeded');
      expect(byId.quiet.status).toBe('skipped');
      expect(summary.status).toBe('failed');
    });
  });

  it('runs finally tasks after a cancel; a second cancel reaches them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-finally-'));
    const p = plan({
      tasks: [
        { id: 'work', run: { type: 'shell', command: ['sh', '-c', `${writePid(`${dir}/work.pid`)}; exec sleep 600`] } },
        { id: 'more', dependsOn: ['work'], run: { type: 'shell', command: ['true'] } },
      ],
      finally: [
        {
          id: 'cleanup',
          run: {
            type: 'shell',
            command: ['sh', '-c', `echo cleaned > ${dir}/cleaned; ${writePid(`${dir}/slow.pid`)}; exec sleep 600`],
          },
        },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('finally'), taskQueue });
      const work = await readPid(join(dir, 'work.pid'));
      await cancelRun(client, handle.workflowId, 'enough');
      const slow = await readPid(join(dir, 'slow.pid')); // finally started after the cancel
      expect(alive(work)).toBe(false);
      expect(readFileSync(join(dir, 'cleaned'), 'utf8')).toBe('cleaned\n');
      await cancelRun(client, handle.workflowId, 'really');
      const summary = await summaryOf(handle);
      await waitFor(() => !alive(slow));
      expect(summary.status).toBe('cancelled');
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      expect(byId.more.status).toBe('cancelled');
      expect(byId.cleanup.status).toBe('cancelled');
    });
  });

  it('runs finally tasks after the workflow itself is cancelled (Web UI, temporal workflow cancel)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-finally-wf-'));
    const p = plan({
      tasks: [
        { id: 'work', run: { type: 'shell', command: ['sh', '-c', `${writePid(`${dir}/work.pid`)}; exec sleep 600`] } },
      ],
      finally: [{ id: 'cleanup', run: { type: 'shell', command: ['echo', 'cleaned after {{tasks.work.output}}'] } }],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('finally-wf'), taskQueue });
      const work = await readPid(join(dir, 'work.pid'));
      await handle.cancel();
      const summary = await summaryOf(handle);
      expect(alive(work)).toBe(false);
      expect(summary.status).toBe('cancelled');
      expect(summary.tasks.find((t) => t.id === 'cleanup')).toMatchObject({
        status: 'succeeded',
        output: 'cleaned after \n',
      });
    });
  });

  it('a run that continues as new mid-way still sees earlier outputs', async () => {
    const tasks = [
      { id: 'first', output: 'json' as const, run: { type: 'shell' as const, command: ['echo', '{"token": "t-42"}'] } },
      ...Array.from({ length: 6 }, (_, i) => ({
        id: `mid${i}`,
        dependsOn: [i === 0 ? 'first' : `mid${i - 1}`],
        run: { type: 'shell' as const, command: ['true'] },
      })),
      {
        id: 'last',
        dependsOn: ['mid5'],
        run: { type: 'shell' as const, command: ['echo', 'token={{tasks.first.json.token}}'] },
      },
    ];
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, plan({ tasks }), {
        id: runId('can-flow'),
        taskQueue,
        continueAsNewAfter: 3,
      });
      const summary = await summaryOf(handle);
      expect(summary.tasks.find((t) => t.id === 'last')?.output).toBe('token=t-42\n');
      const generations = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
        generations.push(wf);
      expect(generations.length).toBeGreaterThanOrEqual(3);
    });
  });

  it('ptq start -p sets params; unknown or ill-typed ones are one line, exit 2, nothing started', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ptq-params-')), 'p.yaml');
    writeFileSync(
      file,
      'params:\n  env: {}\n  shards: { type: number, default: 2 }\ntasks:\n  - id: a\n    run: { type: shell, command: [echo, "{{params.env}}/{{params.shards}}"] }\n',
    );
    await withWorker(async ({ taskQueue }) => {
      const start = (...args: string[]) => ptq(['start', '--plan', file, '--task-queue', taskQueue, ...args]);
      const ok = await start('-p', 'env=prod', '-p', 'shards=8', '--wait', '--json');
      expect(ok.code).toBe(0);
      const summary = JSON.parse(ok.stdout);
      expect(summary.params).toEqual({ env: 'prod', shards: 8 });
      expect(summary.tasks[0].output).toBe('prod/8\n');
      const bad = await start('-p', 'shards=many', '-p', 'region=eu');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        'ptq: unknown parameter "region": the plan declares env, shards; parameter "env" is required: pass -p env=VALUE; parameter "shards" must be a number, got "many"\n',
      );
      const scheduled = await ptq([
        'schedule',
        'create',
        '--plan',
        file,
        '--every',
        '1h',
        '--paused',
        '--id',
        runId('sched'),
        '--task-queue',
        taskQueue,
        '-p',
        'env=nightly',
      ]);
      expect(scheduled.code).toBe(0);
      const scheduleId = /created schedule (\S+)/.exec(scheduled.stdout)?.[1] as string;
      expect((await ptq(['schedule', 'trigger', scheduleId])).code).toBe(0);
      const list = await waitFor(async () => {
        const r = await ptq(['list', '--json']);
        const runs = JSON.parse(r.stdout) as Array<{ id: string }>;
        return runs.find((x) => x.id.startsWith(scheduleId));
      }, 30_000);
      const result = await ptq(['result', list.id, '--json']);
      expect(JSON.parse(result.stdout).params).toEqual({ env: 'nightly', shards: 2 });
      await ptq(['schedule', 'delete', scheduleId]);
    });
  });

  it('runs the example pipeline end to end with ptq dev', async () => {
    const r = await ptqDevRun('examples/pipeline.yaml');
    expect(r.stdout).toMatch(/pipeline \(pipeline-\S+\): SUCCEEDED/);
    expect(r.stdout).toMatch(/report\s+succeeded/);
    expect(r.code).toBe(0);
  }, 120_000);
});
