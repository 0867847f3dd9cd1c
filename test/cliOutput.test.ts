import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../src/temporal/devServer';
import { runId, withWorker } from './helpers';
import { ptq, spawnPtq } from './support/cli';
import { waitFor } from './support/processes';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'ptq.js');
const dir = mkdtempSync(join(tmpdir(), 'ptq-output-'));

function planFile(name: string, plan: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(plan));
  return path;
}

/** Runs a bash pipeline; `rc` is the exit code of its first command (ptq), as PIPESTATUS has it. */
function pipeline(script: string, env: Record<string, string> = {}): Promise<{ out: string; err: string; rc: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `${script} 2>"$ERR"; echo "rc=\${PIPESTATUS[0]}"`],
      { env: { ...process.env, ...env, ERR: join(dir, 'err') } },
      (err, stdout) => {
        if (err) return reject(err);
        const rc = Number(/rc=(\d+)\n$/.exec(stdout)?.[1]);
        resolve({ out: stdout.replace(/rc=\d+\n$/, ''), err: readFileSync(join(dir, 'err'), 'utf8'), rc });
      },
    );
  });
}

/** Whether nothing listens on `port` (127.0.0.1) any more. */
function freePortIs(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** `ptq dev` on free ports with `args`, once it runs; stopped with Ctrl-C by `stop`. */
async function dev(args: string[]): Promise<{ address: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawnPtq(['dev', '--port', String(port), ...args]);
  let said = '';
  child.stderr?.on('data', (c: Buffer) => (said += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  await waitFor(() => said.includes('ptq dev is running'), 60_000);
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const failing = planFile('fail.json', {
  name: 'links-fail',
  tasks: [{ id: 'x', retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['false'] } }],
});

describe('CLI output: pipes, Web UI links, and the small things', () => {
  it('a closed stdout ends `ptq schema | head -1` and `ptq logs RUN | head -1` quietly, with exit code 0', async () => {
    const schema = await pipeline(`node ${BIN} schema | head -1`);
    expect(schema).toEqual({ out: '{\n', err: '', rc: 0 });

    // 80 tasks of about 2 KB of output each (their tails): twice what a pipe holds, so ptq is still
    // writing when head leaves.
    const line = `echo "line $i ${'.'.repeat(60)}"`;
    const noisy = planFile('noisy.json', {
      name: 'noisy',
      tasks: Array.from({ length: 80 }, (_, i) => ({
        id: `t${i}`,
        run: { type: 'shell', command: ['sh', '-c', `for i in $(seq 64); do ${line}; done`] },
      })),
    });
    await withWorker(async ({ taskQueue }) => {
      const id = runId('noisy');
      expect((await ptq(['start', '--plan', noisy, '--id', id, '--task-queue', taskQueue, '--wait'])).code).toBe(0);
      const all = await ptq(['logs', id]);
      expect(all.stdout.length).toBeGreaterThan(2 * 65_536);
      const logs = await pipeline(`node ${BIN} logs ${id} | head -1`);
      expect(logs).toEqual({ out: all.stdout.split('\n')[0] + '\n', err: '', rc: 0 });
    });
  });

  it('`ptq dev --run PLAN | true` ends quietly when its stdout closes, and takes its dev server with it', async () => {
    const port = await freePort();
    const ok = planFile('ok.json', {
      name: 'ok',
      tasks: [{ id: 'a', run: { type: 'shell', command: ['sleep', '1'] } }],
    });
    const r = await pipeline(`node ${BIN} dev --run ${ok} --exit --headless --port ${port} | true`);
    expect(r.rc).toBe(0);
    expect(r.err).not.toMatch(/EPIPE|^\s+at /m);
    // The port is free again: no Temporal server was left behind.
    await waitFor(() => freePortIs(port));
  }, 120_000);

  it('with `ptq dev --ui-port`, start, status, retry and the API link to that port', async () => {
    const uiPort = await freePort();
    const server = await dev(['--ui-port', String(uiPort)]);
    const ui = `http://127.0.0.1:${uiPort}`;
    const env = { TEMPORAL_ADDRESS: server.address };
    const link = (id: string) => `${ui}/namespaces/default/workflows/${id}`;
    try {
      const id = runId('links');
      const started = await ptq(['start', '--plan', failing, '--id', id, '--wait'], env);
      expect(started.code).toBe(1);
      expect(started.stderr).toBe(`started ${id}\n${link(id)}\n`);
      expect(started.stdout.endsWith(`\n${link(id)}\n`)).toBe(true);
      expect((await ptq(['status', id], env)).stdout.endsWith(`\n${link(id)}\n`)).toBe(true);
      const retry = runId('links-retry');
      expect((await ptq(['retry', id, '--id', retry], env)).stdout).toBe(`started ${retry}\n${link(retry)}\n`);
      expect(JSON.parse((await ptq(['start', '--plan', failing, '--json'], env)).stdout).url).toMatch(
        new RegExp(`^${ui}/namespaces/default/workflows/links-fail-`),
      );

      const token = join(dir, 'token');
      writeFileSync(token, 'links-token');
      const port = await freePort();
      const api = spawnPtq(['serve', '--port', String(port), '--token-file', token], env);
      let said = '';
      api.stderr?.on('data', (c: Buffer) => (said += c.toString()));
      try {
        await waitFor(() => said.includes('ptq API on'));
        const res = await fetch(`http://127.0.0.1:${port}/runs/${id}`, {
          headers: { authorization: 'Bearer links-token' },
        });
        expect(await res.json()).toMatchObject({ id, url: link(id) });
      } finally {
        api.kill('SIGINT');
      }
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('with `ptq dev --headless`, no command prints a link (unless PTQ_UI_URL names a UI)', async () => {
    const server = await dev(['--headless']);
    const env = { TEMPORAL_ADDRESS: server.address };
    try {
      const id = runId('nolinks');
      const started = await ptq(['start', '--plan', failing, '--id', id, '--wait'], env);
      expect(started.stderr).toBe(`started ${id}\n`);
      expect(started.stdout).not.toContain('http');
      expect((await ptq(['status', id], env)).stdout).not.toContain('http');
      expect(JSON.parse((await ptq(['start', '--plan', failing, '--json'], env)).stdout).url).toBeNull();
      const named = await ptq(['status', id], { ...env, PTQ_UI_URL: 'https://temporal.example.com/' });
      expect(named.stdout.endsWith(`\nhttps://temporal.example.com/namespaces/default/workflows/${id}\n`)).toBe(true);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('`npm run example` names a plan that exists and validates', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const plan = /--run (\S+)/.exec(pkg.scripts.example)?.[1] as string;
    expect(plan).toBeDefined();
    const checked = await ptq(['validate', join(ROOT, plan)]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/^ok: /);
  });

  it('validate counts in the singular where there is one: "1 task, 0 edges, 1 level", "1 task inline"', async () => {
    const one = planFile('one.json', { name: 'one', tasks: [{ id: 'a', run: { type: 'shell', command: ['true'] } }] });
    const lines = (await ptq(['validate', one])).stdout.split('\n');
    expect(lines[0]).toMatch(/^ok: 1 task, 0 edges, 1 level; /);
    expect(lines[1]).toBe('1 task inline, 0 as child workflows');
    const chain = planFile('chain.json', {
      name: 'chain',
      tasks: [
        { id: 'a', run: { type: 'shell', command: ['true'] } },
        { id: 'b', dependsOn: ['a'], run: { type: 'shell', command: ['true'] } },
      ],
    });
    expect((await ptq(['validate', chain])).stdout).toMatch(/^ok: 2 tasks, 1 edge, 2 levels; [^\n]+\n2 tasks inline,/);
  });

  it('resubmit takes a new M and -p values; the parameters not given stay as they were', async () => {
    const params = planFile('params.json', {
      name: 'resubmitted',
      maxConcurrency: 2,
      params: { word: { default: 'plain' }, times: { type: 'number', default: 1 } },
      tasks: [{ id: 'say', run: { type: 'shell', command: ['echo', '{{params.word}} x{{params.times}}'] } }],
    });
    await withWorker(async ({ taskQueue }) => {
      const id = runId('first');
      const q = ['--task-queue', taskQueue];
      await ptq(['start', '--plan', params, '--id', id, '-p', 'times=3', ...q, '--wait']);
      const again = await ptq(['resubmit', id, '--max-concurrency', '5', '-p', 'word=loud', ...q, '--wait', '--json']);
      expect(again.code).toBe(0);
      const summary = JSON.parse(again.stdout);
      expect(summary).toMatchObject({ maxConcurrency: 5, params: { word: 'loud', times: 3 }, status: 'succeeded' });
      expect(summary.tasks[0].output).toContain('loud x3');
      // Without the flags: the ended run's M and parameters, as before.
      const same = JSON.parse((await ptq(['resubmit', summary.id, ...q, '--wait', '--json'])).stdout);
      expect(same).toMatchObject({ maxConcurrency: 5, params: { word: 'loud', times: 3 } });
      expect(await ptq(['resubmit', id, '-p', 'times=many', ...q])).toMatchObject({
        code: 2,
        stderr: 'ptq: parameter "times" must be a number, got "many"\n',
      });
    });
  });

  it('list links a retry to the run it retried', async () => {
    const gate = join(dir, 'gate');
    const name = runId('retried');
    const gated = planFile('gated.json', {
      name,
      tasks: [{ id: 'g', retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['test', '-e', gate] } }],
    });
    await withWorker(async ({ taskQueue }) => {
      const id = runId('original');
      const retry = runId('retry');
      expect((await ptq(['start', '--plan', gated, '--id', id, '--task-queue', taskQueue, '--wait'])).code).toBe(1);
      writeFileSync(gate, '');
      expect((await ptq(['retry', id, '--id', retry, '--task-queue', taskQueue, '--wait'])).code).toBe(0);
      const runs = await waitFor(async () => {
        const listed = JSON.parse((await ptq(['list', '--plan', name, '--json'])).stdout) as Array<{ id: string }>;
        return listed.length === 2 ? listed : undefined;
      });
      expect(runs).toMatchObject([
        { id: retry, status: 'succeeded', retryOf: id },
        { id, status: 'failed', retryOf: null },
      ]);
      const table = (await ptq(['list', '--plan', name])).stdout.split('\n');
      expect(table[0]).toMatch(/ PLAN +RETRY OF$/);
      expect(table[1]).toMatch(new RegExp(`^${retry} .* ${name} +${id}$`));
      expect(table[2]).toMatch(new RegExp(`^${id} .* ${name}$`));
    });
  });

  it('status shows an ETA while a run goes on, and none while it is paused', async () => {
    const slow = planFile('pace.json', {
      name: 'pace',
      tasks: [
        { id: 'quick', run: { type: 'shell', command: ['true'] } },
        { id: 'slow', dependsOn: ['quick'], run: { type: 'shell', command: ['sleep', '600'] } },
        { id: 'last', dependsOn: ['slow'], run: { type: 'shell', command: ['true'] } },
      ],
    });
    await withWorker(async ({ taskQueue }) => {
      const id = runId('paused');
      await ptq(['start', '--plan', slow, '--id', id, '--task-queue', taskQueue]);
      const going = await waitFor(async () => {
        const s = (await ptq(['status', id])).stdout;
        return s.includes('▶ slow') ? s : undefined;
      });
      expect(going).toMatch(/ 1\/3 .* eta \d/);
      await ptq(['pause', id]);
      const paused = await waitFor(async () => {
        const s = (await ptq(['status', id])).stdout;
        return s.includes('PAUSED') ? s : undefined;
      });
      expect(paused).toMatch(/ 1\/3 .*PAUSED/);
      expect(paused).not.toMatch(/ eta /);
      await ptq(['cancel', id]);
    });
  });

  it("the summary's workers line counts every task that ran, a sleep-only task too", async () => {
    await withWorker(async ({ taskQueue }) => {
      const r = await ptq([
        'start',
        '--plan',
        join(ROOT, 'examples', 'build-app.json'),
        '--task-queue',
        taskQueue,
        '--wait',
      ]);
      expect(r.code).toBe(0);
      const workers = /^ {2}workers: (.*)$/m.exec(r.stdout)?.[1] as string;
      expect(workers).toMatch(/, 1 task with no worker recorded \(sleeps, user activities\)$/);
      const counted = [...workers.matchAll(/(\d+) tasks?/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(counted).toBe(8);
    });
  });
});
