import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/temporal/devServer';
import { connectClient, startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';
import { ptq, ptqDevRun, spawnPtq } from './support/cli';
import { execFileSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'ptq-cli-'));
function planFile(name: string, plan: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof plan === 'string' ? plan : JSON.stringify(plan));
  return path;
}
/**
 * A task that fails twice ("not yet"), then works, counting its attempts in `counter`. Its retries
 * wait 3 s, so a watcher sees them as they happen, even on a loaded machine.
 */
function flakyTwice(counter: string) {
  return {
    retry: { maximumAttempts: 3, initialInterval: '3s', backoffCoefficient: 1 },
    run: {
      type: 'shell',
      command: ['sh', '-c', 'echo x >> "$0"; [ $(wc -l < "$0") -ge 3 ] || { echo "not yet" >&2; exit 1; }', counter],
    },
  };
}
const ok = planFile('ok.json', {
  name: 'cli-ok',
  tasks: [
    { id: 'a', run: { type: 'shell', command: ['echo', 'alpha'] } },
    { id: 'b', dependsOn: ['a'], run: { type: 'shell', command: ['echo', 'beta'] } },
  ],
});
const failing = planFile('fail.json', {
  name: 'cli-fail',
  tasks: [{ id: 'x', retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['false'] } }],
});
const slow = planFile('slow.json', {
  name: 'cli-slow',
  tasks: [{ id: 's', run: { type: 'shell', command: ['sleep', '600'] } }],
});

describe('ptq CLI against the real server', () => {
  it('start --wait --json prints the summary and exits by outcome', async () => {
    await withWorker(async ({ taskQueue }) => {
      const good = await ptq(['start', '--plan', ok, '--task-queue', taskQueue, '--wait', '--json']);
      expect(good.code).toBe(0);
      const summary = JSON.parse(good.stdout);
      expect(summary).toMatchObject({ plan: 'cli-ok', status: 'succeeded', counts: { total: 2, succeeded: 2 } });
      expect(summary.tasks.find((t: { id: string }) => t.id === 'b').output).toContain('beta');

      const bad = await ptq(['start', '--plan', failing, '--task-queue', taskQueue, '--wait']);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain('FAILED');
      expect(bad.stderr).toMatch(
        /started cli-fail-\w+\nhttp:\/\/localhost:8233\/namespaces\/default\/workflows\/cli-fail-/,
      );
    });
  });

  it('status and cancel work on a live run; result reports the cancellation', async () => {
    await withWorker(async ({ taskQueue }) => {
      const id = runId('live');
      const started = await ptq(['start', '--plan', slow, '--id', id, '--task-queue', taskQueue, '--json']);
      expect(JSON.parse(started.stdout)).toMatchObject({ id, url: expect.stringContaining(`/workflows/${id}`) });
      let status;
      for (let i = 0; i < 50; i++) {
        status = JSON.parse((await ptq(['status', id, '--json'])).stdout);
        if (status.counts.running === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toMatchObject({ id, status: 'running', counts: { running: 1 }, running: [{ id: 's' }] });
      expect((await ptq(['status', id])).stdout).toContain('▶ s');
      // RUN/TASK, as the Web UI shows a task, is that one task.
      expect(JSON.parse((await ptq(['status', `${id}/s`, '--json'])).stdout)).toMatchObject({
        run: id,
        id: 's',
        status: 'running',
      });
      expect((await ptq(['status', `${id}/s`])).stdout).toMatch(new RegExp(`^${id}/s: running {2}\\(attempts`));
      expect(await ptq(['status', `${id}/nope`])).toMatchObject({
        code: 2,
        stderr: `ptq: run "${id}" has no task "nope": see \`ptq status ${id}\`\n`,
      });
      const dup = await ptq(['start', '--plan', slow, '--id', id, '--task-queue', taskQueue]);
      expect(dup.code).toBe(2);
      expect(dup.stderr.trim()).toBe(`ptq: a run with id "${id}" already exists: pick another --id or omit it`);
      expect((await ptq(['cancel', id, '--reason', 'test over'])).code).toBe(0);
      const result = await ptq(['result', id, '--json']);
      expect(result.code).toBe(130);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'cancelled', reason: 'test over' });
      const task = await ptq(['result', `${id}/s`, '--json']);
      expect(task.code).toBe(130);
      expect(JSON.parse(task.stdout)).toMatchObject({ id: 's', status: 'cancelled' });
      const again = await ptq(['cancel', id]);
      expect(again).toMatchObject({ code: 0, stdout: `${id} already ended (cancelled)\n`, stderr: '' });
    });
  });

  it('status without a worker answers at once from the server and says that no worker polls', async () => {
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const queue = runId('nobody');
    const handle = await startRun(
      client,
      plan({ name: 'orphan', tasks: [{ id: 'a', run: { type: 'shell', command: ['true'] } }] }),
      {
        id: runId('no-worker'),
        taskQueue: queue,
      },
    );
    const r = await ptq(['status', handle.workflowId]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${handle.workflowId}: running  (orphan)`);
    expect(r.stdout).toContain(
      `no worker is polling task queue "${queue}": start one with \`ptq worker --task-queue ${queue}\``,
    );
    expect(JSON.parse((await ptq(['status', handle.workflowId, '--json'])).stdout)).toMatchObject({
      source: 'server',
      status: 'running',
      plan: 'orphan',
      total: 1,
    });
    await handle.terminate('test over');
    await client.connection.close();
  });

  it("watch shows an inline task's retries as they happen, from the run's own pending step", async () => {
    const counter = join(dir, 'inline-flaky.count');
    const retried = planFile('inline-retry.json', {
      tasks: [
        {
          id: 'flaky',
          execution: 'inline',
          ...flakyTwice(counter),
        },
      ],
    });
    await withWorker(async ({ taskQueue }) => {
      const id = runId('inline-retry');
      await ptq(['start', '--plan', retried, '--id', id, '--task-queue', taskQueue]);
      const watched = await ptq(['watch', id, '--json']);
      expect(watched.code).toBe(0);
      const records = watched.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const retries = records.filter((r) => r.event === 'retrying');
      expect(retries.map((r) => r.attempt)).toEqual([2, 3]);
      expect(retries[0]).toMatchObject({ task: 'flaky', maxAttempts: 3, why: 'exit code 1: not yet' });
    });
  });

  it('watch falls back to plain lines when stdout is not a terminal', async () => {
    await withWorker(async ({ taskQueue }) => {
      const id = runId('watch');
      await ptq(['start', '--plan', ok, '--id', id, '--task-queue', taskQueue]);
      const watched = await ptq(['watch', id]);
      expect(watched.code).toBe(0);
      expect(watched.stdout).not.toContain(String.fromCharCode(27));
      expect(watched.stdout).toMatch(/SUCCEEDED/);
    });
  });

  it('watch prints a line per task event without a terminal, and --json streams the events as NDJSON', async () => {
    const events = planFile('events.json', {
      tasks: [
        { id: 'slow', title: 'Slow one', run: { type: 'shell', command: ['sleep', '0.5'] } },
        {
          id: 'bad',
          retry: { maximumAttempts: 2, initialInterval: '50ms' },
          run: { type: 'shell', command: ['sh', '-c', 'echo "disk full" >&2; exit 3'] },
        },
        { id: 'after', dependsOn: ['bad'], run: { type: 'shell', command: ['true'] } },
        {
          id: 'flaky',
          ...flakyTwice(join(dir, 'flaky.count')),
        },
      ],
    });
    await withWorker(async ({ taskQueue }) => {
      const id = runId('events');
      await ptq(['start', '--plan', events, '--id', id, '--task-queue', taskQueue]);
      const [plain, json] = await Promise.all([ptq(['watch', id]), ptq(['watch', id, '--json'])]);
      expect(plain.code).toBe(1);
      const lines = plain.stdout.split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
      expect(lines).toEqual(
        expect.arrayContaining([
          'started   slow (Slow one)',
          'started   bad',
          'failed    bad after 2 attempts: exit code 3: disk full (in: sh -c echo "disk full" >&2; exit 3)',
          'skipped   after: skipped because "bad" failed',
        ]),
      );
      expect(lines.find((l) => l.startsWith('succeeded slow in '))).toBeDefined();
      expect(lines.indexOf('started   slow (Slow one)')).toBeLessThan(
        lines.findIndex((l) => l.startsWith('succeeded slow')),
      );
      expect(plain.stdout).toContain('FAILED');
      expect(lines).toContain('retrying  flaky attempt 2/3: exit code 1: not yet');
      expect(lines.find((l) => l.startsWith('succeeded flaky in ') && l.endsWith(' after 3 attempts'))).toBeDefined();

      const records = json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.find((r) => r.event === 'retrying')).toMatchObject({ task: 'flaky', attempt: 2, maxAttempts: 3 });
      expect(
        records
          .filter((r) => r.task !== 'flaky' && r.event !== 'ended')
          .map((r) => `${r.event} ${r.task}`)
          .sort(),
      ).toEqual(['failed bad', 'skipped after', 'started bad', 'started slow', 'succeeded slow'].sort());
      expect(records.find((r) => r.event === 'failed')).toMatchObject({
        attempts: 2,
        why: expect.stringMatching(/^exit code 3: disk full/),
      });
      expect(records.at(-1)).toMatchObject({ event: 'ended', summary: { id, status: 'failed' } });
    });
  });

  it("reads the temporal CLI's connection profiles: --profile, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE", async () => {
    const config = join(dir, 'temporal.toml');
    const address = process.env.TEMPORAL_ADDRESS as string;
    writeFileSync(
      config,
      `[profile.default]\naddress = "127.0.0.1:${await freePort()}"\n\n[profile.local]\naddress = "${address}"\nnamespace = "default"\n`,
    );
    const env = { TEMPORAL_CONFIG_FILE: config, TEMPORAL_ADDRESS: '' };
    const byFlag = await ptq(['list', '--json', '--limit', '1', '--profile', 'local'], env);
    expect(byFlag.code).toBe(0);
    expect(Array.isArray(JSON.parse(byFlag.stdout))).toBe(true);
    expect((await ptq(['list', '--json', '--limit', '1'], { ...env, TEMPORAL_PROFILE: 'local' })).code).toBe(0);
    // The default profile points at nothing: that is where the CLI goes without one.
    const fallback = await ptq(['list', '--json'], env);
    expect([fallback.code, fallback.stderr]).toEqual([
      3,
      expect.stringMatching(/^ptq: cannot reach Temporal at 127\.0\.0\.1:\d+/),
    ]);
    const missing = await ptq(['list', '--profile', 'staging'], env);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      'ptq: cannot read the Temporal connection profile "staging": Profile \'staging\' not found in config data: see `temporal config list`, or give --address\n',
    ]);
  });

  it('gives one clear line and a distinct exit code for each user error', async () => {
    const unreachable = await ptq(['status', 'x', '--address', `127.0.0.1:${await freePort()}`]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^ptq: cannot reach Temporal at 127\.0\.0\.1:\d+: start one with `ptq dev`/);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);

    const deadWorker = await ptq(['worker', '--address', `127.0.0.1:${await freePort()}`]);
    expect(deadWorker.code).toBe(3);
    expect(deadWorker.stderr).toMatch(
      /^ptq: cannot reach Temporal at 127\.0\.0\.1:\d+: start one with `ptq dev`[^\n]*\n$/,
    );

    // Mistakes in the command line exit 2 at every level, not only at the top.
    for (const args of [['graph', ok, '--format', 'svg'], ['status'], ['schedule', 'create'], ['nonsense']]) {
      const usage = await ptq(args);
      expect({ args, code: usage.code }).toEqual({ args, code: 2 });
      expect(usage.stderr).toMatch(/^error: .*\n\(add --help for usage\)\n$/);
    }

    const version = await ptq(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync('package.json', 'utf8')).version}\n` });

    const unknown = await ptq(['status', 'no-such-run']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('ptq: no run with id "no-such-run": see `ptq list`');

    const missing = await ptq(['start', '--plan', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: file not found');

    const badM = await ptq(['start', '--plan', ok, '--max-concurrency', '10001']);
    expect(badM.code).toBe(2);
    expect(badM.stderr).toContain('--max-concurrency must be an integer from 1 to 10000');

    const badCron = await ptq(['schedule', 'create', '--plan', ok, '--cron', 'every tuesday-ish']);
    expect(badCron.code).toBe(2);
    expect(badCron.stderr).toMatch(/^ptq: the server rejected the schedule: .*check --cron/);
  });

  it('ptq dev reports a failing step in one line per attempt, no stack, and how to reach the server', async () => {
    const failing = join(dir, 'failing.json');
    writeFileSync(
      failing,
      JSON.stringify({
        tasks: [
          {
            id: 'bad',
            retry: { maximumAttempts: 2, initialInterval: '100ms' },
            run: { type: 'shell', command: ['sh', '-c', 'echo broken >&2; exit 1'] },
          },
        ],
      }),
    );
    const r = await ptqDevRun(failing);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`export TEMPORAL_ADDRESS=127.0.0.1:${r.port}`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // --headless: no Web UI, so no link to one.
    expect(r.stdout + r.stderr).not.toContain('http://');
    const attempts = r.stderr.split('\n').filter((l) => l.includes('Activity failed'));
    expect(attempts).toEqual([
      expect.stringMatching(/\[WARN\] Activity failed \(\S+\/bad runShell attempt 1\): exit code 1: broken$/),
      expect.stringMatching(/attempt 2\): exit code 1: broken$/),
    ]);
    // The worker's isolation and browser-pool lines, the server, the UI, the run, 2 attempts, the end, stopped.
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(9);
  }, 60_000);

  it('completion scripts complete commands, subcommands and options in a real bash', async () => {
    const script = join(dir, 'ptq.bash');
    writeFileSync(script, (await ptq(['completion', 'bash'])).stdout);
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source ${script}; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _ptq; echo "\${COMPREPLY[@]}"`,
        ],
        {
          encoding: 'utf8',
        },
      ).trim();
    expect(complete(['ptq', 'sta'])).toBe('start status');
    expect(complete(['ptq', 'schedule', 'cr'])).toBe('create');
    expect(complete(['ptq', 'set-concurrency', '--ta'])).toBe('--task');
    expect((await ptq(['completion', 'fish'])).stdout).toContain("-a 'create list describe");
    expect(await ptq(['completion', 'tcsh'])).toMatchObject({
      code: 2,
      stderr: 'ptq: unknown shell "tcsh": use bash, zsh or fish\n',
    });
  });

  it('validate lists every problem of a broken plan, one per line', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['json', '{"tasks": [', 'invalid JSON'],
      ['yaml', 'tasks: [a: b: c', 'invalid YAML'],
      [
        'cycle',
        {
          tasks: [
            { id: 'a', dependsOn: ['b'], run: { type: 'sleep', duration: 1 } },
            { id: 'b', dependsOn: ['a'], run: { type: 'sleep', duration: 1 } },
          ],
        },
        'dependency cycle: a -> b -> a',
      ],
      [
        'unknown',
        { tasks: [{ id: 'a', dependsOn: ['zz'], run: { type: 'sleep', duration: 1 } }] },
        'task "a" depends on unknown task "zz"',
      ],
      ['empty', { tasks: [] }, 'the plan has no tasks'],
    ];
    for (const [name, plan, message] of cases) {
      const r = await ptq(['validate', planFile(`${name}.${name === 'yaml' ? 'yaml' : 'json'}`, plan)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const many = await ptq([
      'validate',
      planFile('many.json', { maxConcurrency: 0, tasks: [{ id: 'a', run: { type: 'ftp' } }] }),
    ]);
    expect(many.stderr.trim().split('\n')).toHaveLength(2);
    const good = await ptq(['validate', ok]);
    expect(good.stdout).toMatch(/^ok: 2 tasks, 1 edge, 2 levels; critical path 2\.0s \(a -> b\)/);
    expect(good.stdout).toContain('at M=4: schedule 2.0s (critical-path), lower bound 2.0s, 1.000x');
    expect(good.stdout).toContain('2 tasks inline, 0 as child workflows');
    const json = JSON.parse((await ptq(['validate', ok, '--json'])).stdout);
    expect(json).toMatchObject({ simulatedMs: 2000, execution: { inline: 2, child: 0 } });
  });

  it('schedule create -> trigger -> a run appears -> delete', async () => {
    await withWorker(async ({ taskQueue }) => {
      const id = runId('sched');
      expect(
        (await ptq(['schedule', 'create', '--plan', ok, '--every', '1h', '--id', id, '--task-queue', taskQueue])).code,
      ).toBe(0);
      expect((await ptq(['schedule', 'trigger', id])).code).toBe(0);
      let recent: Array<{ id: string }> = [];
      for (let i = 0; i < 100 && recent.length === 0; i++) {
        recent = JSON.parse((await ptq(['schedule', 'describe', id, '--json'])).stdout).recentRuns;
        if (!recent.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(recent[0].id.startsWith(`${id}-`)).toBe(true);
      const result = JSON.parse((await ptq(['result', recent[0].id, '--json'])).stdout);
      expect(result).toMatchObject({ plan: 'cli-ok', status: 'succeeded' });
      const listed = JSON.parse((await ptq(['list', '--status', 'succeeded', '--json', '--limit', '200'])).stdout);
      expect(listed.map((r: { id: string }) => r.id)).toContain(recent[0].id);
      // describe: when (as written), what, what comes next, and how the recent runs went.
      const described = (await ptq(['schedule', 'describe', id])).stdout.split('\n');
      expect(described[0]).toMatch(new RegExp(`^${id}: active, every 1h, overlap \\w+$`));
      expect(described[1]).toBe(`  plan: cli-ok, 2 tasks, M=4, task queue ${taskQueue}`);
      expect(described[2]).toMatch(/^ {2}next: \d{4}-\d\d-\d\dT/);
      expect(described[3]).toBe(`  recent: ${recent[0].id} (succeeded)`);
      expect((await ptq(['schedule', 'delete', id])).code).toBe(0);
      expect((await ptq(['schedule', 'describe', id])).code).toBe(2);
    });
  });

  it('prints graph, simulation and schema for editors', async () => {
    const mermaid = await ptq(['graph', ok, '--format', 'mermaid']);
    expect(mermaid.stdout).toContain('a ==> b');
    const graph = JSON.parse((await ptq(['graph', ok, '--json'])).stdout);
    expect(graph).toMatchObject({ criticalPath: ['a', 'b'], criticalPathMs: 2000, edges: [['a', 'b']], levels: 2 });
    expect(graph.tasks[1]).toEqual({ id: 'b', level: 1, estimateMs: 1000, critical: true, dependsOn: ['a'] });
    const sim = JSON.parse((await ptq(['simulate', ok, '--json'])).stdout);
    expect(sim).toMatchObject({ maxConcurrency: 4, criticalPathMs: 2000, workMs: 2000, lowerBoundMs: 2000 });
    expect(Object.keys(sim.policies)).toEqual(['critical-path', 'fifo', 'levels']);
    // critical-path searches its order; plain longest-path-first is shown beside it.
    expect(sim.longestPathFirst).toEqual({ makespanMs: 2000, ratio: 1 });
    // A plan whose best schedule keeps a slot idle: simulate says so, and validate prints it.
    const sleep = (id: string, s: number, dependsOn: string[] = []) => ({
      id,
      estimate: s * 1_000,
      dependsOn,
      run: { type: 'sleep', duration: s * 1_000 },
    });
    const idle = planFile('idle.json', {
      name: 'idle',
      maxConcurrency: 2,
      tasks: [sleep('a', 4), sleep('b', 2), sleep('c', 4, ['b']), sleep('d', 4, ['b']), sleep('e', 4, ['c', 'd'])],
    });
    const planned = JSON.parse((await ptq(['simulate', idle, '--json'])).stdout);
    expect(planned.lowerBoundMs).toBe(10_000);
    expect(planned.policies['critical-path']).toEqual({ makespanMs: 10_000, ratio: 1, plannedSchedule: true });
    expect(planned.longestPathFirst).toEqual({ makespanMs: 12_000, ratio: 1.2 });
    expect((await ptq(['simulate', idle])).stdout).toMatch(
      /critical-path +makespan +10\.0s +ratio 1\.000 +\(a planned schedule/,
    );
    expect((await ptq(['validate', idle])).stdout).toContain(
      'schedule 10.0s (critical-path), lower bound 10.0s, 1.000x',
    );
    const schema = JSON.parse((await ptq(['schema'])).stdout);
    expect(schema.properties.tasks.type).toBe('array');
  });

  it('ptq dev starts a server and worker, refuses a busy port, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const dev = spawnPtq(['dev', '--port', String(port), '--headless']);
    let stderr = '';
    dev.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 300 && !stderr.includes('ptq dev is running'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain(`Temporal dev server: 127.0.0.1:${port}`);

    const second = await ptq(['dev', '--port', String(port), '--headless']);
    expect(second.code).toBe(2);
    expect(second.stderr.trim()).toBe(
      `ptq: port ${port} is already in use (another \`ptq dev\` or Temporal server?): stop it or pass another --port`,
    );

    const run = await ptq(['start', '--plan', ok, '--wait', '--json', '--address', `127.0.0.1:${port}`]);
    expect(JSON.parse(run.stdout).status).toBe('succeeded');

    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('ptq dev stopped');
    const leftovers = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((l) => l.includes(`--port ${port}`));
    expect(leftovers).toEqual([]);
  });

  it('ptq worker serves Prometheus metrics and shuts down gracefully on SIGTERM', async () => {
    const metricsPort = await freePort();
    const worker = spawnPtq(['worker', '--task-queue', runId('metrics'), '--metrics', `127.0.0.1:${metricsPort}`]);
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    let stderr = '';
    worker.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      let body = '';
      for (let i = 0; i < 300 && !(body.includes('temporal_') && stderr.includes('Prometheus metrics')); i++) {
        body = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(body).toMatch(/^temporal_\w+/m);
      expect(stderr).toContain(`Prometheus metrics: http://127.0.0.1:${metricsPort}/metrics`);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('ptq worker stopped');
  });

  it('ptq codec-server answers the codec protocol and stops on Ctrl-C; a busy port is one clear line', async () => {
    const port = await freePort();
    const codec = spawnPtq(['codec-server', '--port', String(port)]);
    const exited = new Promise<number | null>((resolve) => codec.once('exit', (code) => resolve(code)));
    let stderr = '';
    codec.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      for (let i = 0; i < 300 && !stderr.includes('codec server'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toContain(`ptq codec server: http://127.0.0.1:${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/decode`, { method: 'POST', body: '{"payloads":[]}' });
      expect(await res.json()).toEqual({ payloads: [] });
      const busy = await ptq(['codec-server', '--port', String(port)]);
      expect(busy.code).toBe(2);
      expect(busy.stderr.trim()).toBe(
        `ptq: port ${port} is already in use: stop what runs there or pass another --port`,
      );
    } finally {
      codec.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('ptq codec server stopped');
  });

  it('ptq dev --db keeps a run across a restart of server and worker, and the run finishes', async () => {
    const port = await freePort();
    const db = join(dir, 'durable.db');
    const address = ['--address', `127.0.0.1:${port}`];
    const startDev = async () => {
      const dev = spawnPtq(['dev', '--port', String(port), '--headless', '--db', db]);
      let err = '';
      dev.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      for (let i = 0; i < 300 && !err.includes('ptq dev is running'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(err).toContain('ptq dev is running');
      return dev;
    };
    const stop = (dev: ReturnType<typeof spawnPtq>) =>
      new Promise<number | null>((resolve) => {
        dev.once('exit', (code) => resolve(code));
        dev.kill('SIGINT');
      });
    const durable = planFile('durable.json', {
      name: 'durable',
      tasks: [
        { id: 'wait', run: { type: 'sleep', duration: '4s' } },
        { id: 'after', dependsOn: ['wait'], run: { type: 'shell', command: ['echo', 'survived'] } },
      ],
    });
    const first = await startDev();
    const id = runId('durable');
    expect((await ptq(['start', '--plan', durable, '--id', id, ...address])).code).toBe(0);
    expect(await stop(first)).toBe(0);
    const second = await startDev();
    try {
      const result = await ptq(['result', id, '--json', ...address]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        status: 'succeeded',
        tasks: [{ id: 'wait' }, { id: 'after', output: 'survived\n' }],
      });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
