import { summaryOf } from '../src/client';
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cancelRun } from '../src/client/control';
import { freePort } from '../src/temporal/devServer';
import { connectClient, startRun } from '../src/client';
import type { RunSummary } from '../src/core';
import { plan, runId, withWorker } from './helpers';
import { alive, ancestorsOf, readPid, waitFor } from './support/processes';
import { startWorkerProcess } from './support/workers';
import { ptq } from './support/cli';
import { branches, extraWorktrees, git, makeRepo, STAND_IN_BIN } from './support/gitRepo';

/** Coding agents in parallel worktrees of a real git repo, on the real server, as real processes. */
describe('coding agents in git worktrees', () => {
  const PATH = process.env.PATH;
  beforeAll(() => {
    process.env.PATH = `${STAND_IN_BIN}:${PATH}`;
  });
  afterAll(() => {
    process.env.PATH = PATH;
  });

  it('gives each task its own worktree from the integration branch and merges them back in dependency order', async () => {
    const repo = makeRepo();
    const log = join(mkdtempSync(join(tmpdir(), 'ptq-agents-')), 'agents.jsonl');
    const id = runId('agents');
    const summary = await withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        maxConcurrency: 4,
        workspace: { git: { repo } },
        defaults: { retry: { maximumAttempts: 1 } },
        tasks: [
          {
            id: 'api',
            title: 'Add the API',
            run: {
              type: 'agent',
              agent: 'claude',
              prompt: `@write src/api.ts export const api = 1;\n@sleep 1500\n@log ${log}`,
            },
          },
          {
            id: 'db',
            title: 'Add the DB',
            run: {
              type: 'agent',
              agent: 'codex',
              prompt: `@write src/db.ts export const db = 1;\n@sleep 1500\n@log ${log}`,
            },
          },
          {
            id: 'wire',
            title: 'Wire them',
            dependsOn: ['api', 'db'],
            run: [
              // Runs in its worktree, which already holds both dependencies' merged work.
              { type: 'shell', command: ['cat', 'src/api.ts', 'src/db.ts'] },
              {
                type: 'agent',
                agent: 'claude',
                prompt: `@write src/main.ts import './api'; import './db';\n@log ${log}`,
              },
            ],
          },
        ],
      });
      const handle = await startRun(client, p, { id, taskQueue });
      return summaryOf(handle);
    });
    expect(summary.status).toBe('succeeded');
    const wire = summary.tasks.find((t) => t.id === 'wire');
    expect(wire?.output).toContain('done:');

    // Each agent ran in its own worktree, and the two independent ones overlapped in time.
    const runs = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cwd: string; start: number; end: number; prompt: string });
    expect(new Set(runs.map((r) => r.cwd)).size).toBe(3);
    const [a, b] = runs.filter((r) => !r.prompt.includes('main.ts'));
    expect(Math.max(a.start, b.start)).toBeLessThan(Math.min(a.end, b.end));

    // The integration branch holds every task's work, merged in dependency order; it stays.
    const branch = `ptq/${id}`;
    expect(summary.workspace).toEqual({ branch, merges: 3, conflicts: 0, conflictRate: 0 });
    expect(git(repo, 'show', `${branch}:src/main.ts`)).toContain("import './api'");
    const merges = git(repo, 'log', '--merges', '--format=%s', branch).split('\n').reverse();
    expect(merges).toHaveLength(3);
    expect(merges[2]).toBe('Merge wire: Wire them');
    expect(new Set(merges.slice(0, 2))).toEqual(new Set(['Merge api: Add the API', 'Merge db: Add the DB']));
    // The user's checkout is untouched; worktrees and task branches are gone.
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(extraWorktrees(repo)).toEqual([]);
    expect(branches(repo).sort()).toEqual(['main', branch]);

    // Cost per task, per agent and in all: claude's own figure, codex's tokens priced.
    const cost = (t: string) => summary.tasks.find((x) => x.id === t)?.usage?.costUsd;
    expect(cost('api')).toBe(0.01);
    expect(cost('db')).toBeGreaterThan(0);
    expect(summary.cost.byAgent?.claude.costUsd).toBeCloseTo(0.02, 6);
    expect(summary.cost.byAgent?.codex.costUsd).toBe(cost('db'));
    expect(summary.cost.totalUsd).toBeCloseTo(0.02 + (cost('db') ?? 0), 6);
  });

  /** Two tasks append to the same file from the same base: the second merge conflicts. */
  const clashing = (repo: string, onConflict: 'fail' | 'retry', log: string) =>
    plan({
      maxConcurrency: 2,
      workspace: { git: { repo }, onConflict },
      defaults: { retry: { maximumAttempts: 1 } },
      tasks: [
        { id: 'first', run: { type: 'agent', agent: 'claude', prompt: `@append src/app.ts // first\n@log ${log}` } },
        {
          id: 'second',
          run: { type: 'agent', agent: 'claude', prompt: `@sleep 700\n@append src/app.ts // second\n@log ${log}` },
        },
        { id: 'after', dependsOn: ['second'], run: { type: 'shell', command: ['cat', 'src/app.ts'] } },
      ],
    });

  it.each(['fail', 'retry'] as const)('handles a merge conflict as configured (onConflict: %s)', async (onConflict) => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const log = join(mkdtempSync(join(tmpdir(), 'ptq-agents-')), 'agents.jsonl');
    const id = runId('conflict');
    const summary = await withWorker(async ({ client, taskQueue }) =>
      summaryOf(await startRun(client, clashing(repo, onConflict, log), { id, taskQueue })),
    );
    const second = summary.tasks.find((t) => t.id === 'second');
    const after = summary.tasks.find((t) => t.id === 'after');
    const agentRuns = readFileSync(log, 'utf8').trim().split('\n').length;
    if (onConflict === 'fail') {
      expect(second?.status).toBe('failed');
      expect(second?.error).toBe('merge conflict in src/app.ts');
      expect(after?.status).toBe('skipped');
      expect(summary.workspace).toMatchObject({ merges: 2, conflicts: 1, conflictRate: 0.5 });
      expect(git(repo, 'show', `ptq/${id}:src/app.ts`)).toBe('// first');
      expect(agentRuns).toBe(2);
    } else {
      // Run again from the new head, it merges cleanly: the file has both lines, nothing is lost.
      expect(second?.status).toBe('succeeded');
      expect(second?.merge).toEqual({ commits: 1, conflicts: 1 });
      expect(after?.output).toContain('// first\n// second');
      expect(summary.workspace).toMatchObject({ merges: 4, conflicts: 1, conflictRate: 0.25 });
      expect(agentRuns).toBe(3);
    }
    // The agent's cost counts on every path, the failed one included.
    expect(second?.usage?.costUsd).toBe(onConflict === 'fail' ? 0.01 : 0.02);
    expect(extraWorktrees(repo)).toEqual([]);
    expect(branches(repo).sort()).toEqual(['main', `ptq/${id}`]);
  });

  it('isolation group: a group shares one warm worktree, its tasks one at a time; isolation none: tasks work in the integration worktree', async () => {
    // Each task lists the build cache it found, adds to it (ignored by git) and commits a file.
    const step = {
      type: 'shell' as const,
      command: [
        'sh',
        '-c',
        'ls cache 2>/dev/null; pwd; mkdir -p cache; echo x > "cache/$0"; echo x > "$0.txt"',
        '{{task.id}}',
      ],
    };
    const repo = makeRepo({ 'README.md': '# demo\n', '.gitignore': 'cache/\n' });
    const [grouped, shared] = await withWorker(async ({ client, taskQueue }) => {
      const tasks = [
        { id: 'g1', group: 'api', run: step },
        { id: 'g2', group: 'api', run: step },
        { id: 'solo', run: step },
      ];
      const inGroups = plan({ workspace: { git: { repo }, isolation: 'group' }, groups: { api: {} }, tasks });
      const one = await summaryOf(await startRun(client, inGroups, { id: runId('group'), taskQueue }));
      const chain = [
        { id: 'n1', title: 'First', run: step },
        { id: 'n2', title: 'Second', dependsOn: ['n1'], run: step },
      ];
      const none = plan({ workspace: { git: { repo }, isolation: 'none' }, tasks: chain });
      return [one, await summaryOf(await startRun(client, none, { id: runId('none'), taskQueue }))];
    });
    expect(grouped.status).toBe('succeeded');
    const out = Object.fromEntries(grouped.tasks.map((t) => [t.id, (t.output ?? '').trim().split('\n')]));
    const at = (id: string) => grouped.tasks.find((t) => t.id === id)!;
    const [first, second] = ['g1', 'g2'].sort((a, b) => Date.parse(at(a).startedAt!) - Date.parse(at(b).startedAt!));
    // One after the other, in the same folder; the second found the first's (ignored) build cache.
    expect(Date.parse(at(first).endedAt!)).toBeLessThanOrEqual(Date.parse(at(second).startedAt!));
    expect(out[first].at(-1)).toBe(out[second].at(-1));
    expect(out[second][0]).toBe(first);
    expect(out.solo).toHaveLength(1); // its own fresh worktree: no cache
    expect(out.solo[0]).not.toBe(out.g1.at(-1));
    const branch = `ptq/${grouped.id}`;
    expect(git(repo, 'ls-tree', '--name-only', branch).split('\n').sort()).toEqual(
      ['.gitignore', 'README.md', 'g1.txt', 'g2.txt', 'solo.txt'].sort(),
    );
    // isolation none: straight onto the integration branch, one commit per task, no merges.
    expect(shared.status).toBe('succeeded');
    expect(git(repo, 'log', '--format=%s', `ptq/${shared.id}`).split('\n').slice(0, 2)).toEqual(['Second', 'First']);
    expect(git(repo, 'log', '--merges', '--format=%s', `ptq/${shared.id}`)).toBe('');
    expect(extraWorktrees(repo)).toEqual([]);
    expect(branches(repo).sort()).toEqual(['main', branch, `ptq/${shared.id}`].sort());
  });

  it('never runs tasks whose files overlap at once, and stops starting tasks once the budget is spent', async () => {
    const repo = makeRepo();
    const log = join(mkdtempSync(join(tmpdir(), 'ptq-agents-')), 'agents.jsonl');
    const agent = (path: string, cost: number) => ({
      type: 'agent' as const,
      agent: 'claude' as const,
      prompt: `@append ${path} x\n@sleep 1500\n@cost ${cost}\n@log ${log}`,
    });
    const summary = await withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        maxConcurrency: 4,
        budgetUsd: 1,
        workspace: { git: { repo } },
        defaults: { retry: { maximumAttempts: 1 } },
        tasks: [
          { id: 'a', files: ['src/db/*.ts'], run: agent('src/db/a.ts', 0.3) },
          { id: 'b', files: ['src/db/schema.ts'], run: agent('src/db/schema.ts', 0.3) },
          { id: 'c', files: ['docs/**'], run: agent('docs/c.md', 0.3) },
          { id: 'd', dependsOn: ['a', 'b', 'c'], run: agent('d.txt', 0.3) },
          { id: 'e', dependsOn: ['d'], run: agent('e.txt', 0.3) },
        ],
      });
      const handle = await startRun(client, p, { id: runId('budget'), taskQueue });
      const result = await summaryOf(handle);
      // What it cost shows in the Web UI's details and in `ptq list --json`.
      const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(meta.currentDetails).toContain('Cost so far: $1.20 · ');
      const listed = JSON.parse((await ptq(['list', '--json', '--limit', '200'])).stdout) as Array<{ id: string }>;
      expect(listed.find((r) => r.id === handle.workflowId)).toMatchObject({ status: 'failed', costUsd: 1.2 });
      return result;
    });
    const runs = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; start: number; end: number });
    const span = (file: string) => runs.find((r) => r.prompt.includes(file)) as { start: number; end: number };
    const [a, b] = [span('src/db/a.ts'), span('src/db/schema.ts')];
    // a and b overlap by glob: one after the other. c shares nothing: it ran alongside.
    expect(a.end <= b.start || b.end <= a.start).toBe(true);
    // (Its start is the run's decision: on a loaded machine a 300 ms agent may end before the other spawns.)
    const ran = (id: string) => summary.tasks.find((t) => t.id === id)!;
    expect(Date.parse(ran('c').startedAt!)).toBeLessThan(
      Math.min(Date.parse(ran('a').endedAt!), Date.parse(ran('b').endedAt!)),
    );
    // $0.90 after a, b and c; d takes it to $1.20, so e never starts.
    expect(summary.tasks.find((t) => t.id === 'e')).toMatchObject({
      status: 'skipped',
      reason: 'not started: budget of $1.00 spent ($1.20)',
    });
    expect(summary.reason).toBe('budget of $1.00 spent ($1.20)');
    expect(summary.status).toBe('failed');
    expect(summary.cost.totalUsd).toBeCloseTo(1.2, 6);
  });

  it('cancel kills the agent and removes the worktrees', async () => {
    const repo = makeRepo();
    const dir = mkdtempSync(join(tmpdir(), 'ptq-agents-'));
    const id = runId('agent-cancel');
    const summary = await withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        workspace: { git: { repo } },
        tasks: [{ id: 'long', run: { type: 'agent', agent: 'claude', prompt: `@pidfile ${dir}/pid\n@sleep 60000` } }],
      });
      const handle = await startRun(client, p, { id, taskQueue });
      const pid = await readPid(join(dir, 'pid'));
      expect(alive(pid)).toBe(true);
      await cancelRun(client, id, 'test');
      const result = await summaryOf(handle);
      expect(alive(pid)).toBe(false);
      return result;
    });
    expect(summary.status).toBe('cancelled');
    expect(extraWorktrees(repo)).toEqual([]);
    expect(branches(repo).sort()).toEqual(['main', `ptq/${id}`]);
  });

  it('kill -9 of the worker running an agent: another worker runs it again from a fresh worktree, merged once, nothing left', async () => {
    const repo = makeRepo();
    const dir = mkdtempSync(join(tmpdir(), 'ptq-agents-'));
    const taskQueue = `agents-crash-${Date.now()}`;
    const env = { PATH: `${STAND_IN_BIN}:${PATH}` };
    const workers = [await startWorkerProcess(taskQueue, [], env), await startWorkerProcess(taskQueue, [], env)];
    const id = runId('agent-crash');
    try {
      const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
      const p = plan({
        workspace: { git: { repo } },
        defaults: { heartbeatTimeout: '2s' },
        tasks: [
          {
            id: 'slow',
            run: {
              type: 'agent',
              agent: 'claude',
              prompt: `@append src/x.ts started\n@pidfile ${dir}/pid\n@sleep 2500\n@log ${dir}/log`,
            },
          },
          { id: 'after', dependsOn: ['slow'], run: { type: 'shell', command: ['cat', 'src/x.ts'] } },
        ],
      });
      const handle = await startRun(client, p, { id, taskQueue });
      const pid = await readPid(join(dir, 'pid'));
      const owner = workers.find((w) => ancestorsOf(pid).includes(w.child.pid as number));
      expect(owner).toBeDefined();
      owner?.child.kill('SIGKILL');
      await waitFor(() => !alive(pid));
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      // The retry started from a fresh worktree: the killed attempt's edit is gone, not doubled.
      expect(summary.tasks.find((t) => t.id === 'after')?.output?.trim()).toBe('started');
      expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toHaveLength(1);
      // Merged once ("after" changed nothing, so it has nothing to merge).
      expect(git(repo, 'log', '--merges', '--format=%s', `ptq/${id}`).split('\n')).toEqual(['Merge slow: slow']);
      expect(extraWorktrees(repo)).toEqual([]);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
    }
  });

  it('repo as a git URL: two workers with their own clones share the work through the remote, and a kill -9 loses nothing', async () => {
    const remote = join(mkdtempSync(join(tmpdir(), 'ptq-remote-')), 'project.git');
    git(tmpdir(), 'clone', '--quiet', '--bare', makeRepo({ 'README.md': '# remote\n' }), remote);
    const dir = mkdtempSync(join(tmpdir(), 'ptq-agents-'));
    const taskQueue = `agents-remote-${Date.now()}`;
    const dataDirs = [mkdtempSync(join(tmpdir(), 'ptq-data-a-')), mkdtempSync(join(tmpdir(), 'ptq-data-b-'))];
    const workers = await Promise.all(
      dataDirs.map((d) => startWorkerProcess(taskQueue, [], { PATH: `${STAND_IN_BIN}:${PATH}`, PTQ_DATA_DIR: d })),
    );
    const id = runId('remote');
    try {
      const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
      const agent = (prompt: string) => ({ type: 'agent' as const, agent: 'claude' as const, prompt });
      const p = plan({
        workspace: { git: { repo: `file://${remote}` } },
        defaults: { heartbeatTimeout: '2s' },
        tasks: [
          { id: 'slow', run: agent(`@append src/x.ts started\n@pidfile ${dir}/pid\n@sleep 2500\n@log ${dir}/log`) },
          { id: 'two', run: agent('@write src/two.ts two') },
          {
            id: 'after',
            dependsOn: ['slow', 'two'],
            run: [
              { type: 'shell', command: ['sh', '-c', 'echo checked > checked.txt'] },
              { type: 'shell', command: ['cat', 'src/x.ts', 'src/two.ts', 'checked.txt'] },
            ],
          },
        ],
      });
      const handle = await startRun(client, p, { id, taskQueue });
      const pid = await readPid(join(dir, 'pid'));
      workers.find((w) => ancestorsOf(pid).includes(w.child.pid as number))?.child.kill('SIGKILL');
      await waitFor(() => !alive(pid));
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      // "after" ran on a checkout of the remote holding its dependencies' merged work...
      expect(summary.tasks.find((t) => t.id === 'after')?.output?.trim()).toBe('started\ntwo\nchecked');
      expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toHaveLength(1);
      // ...and the remote's integration branch holds everything, each task merged once.
      const branch = `ptq/${id}`;
      expect(git(remote, 'show', `${branch}:src/x.ts`)).toBe('started');
      expect(git(remote, 'show', `${branch}:checked.txt`)).toBe('checked');
      expect(git(remote, 'log', '--merges', '--format=%s', branch).split('\n').sort()).toEqual([
        'Merge after: after',
        'Merge slow: slow',
        'Merge two: two',
      ]);
      // Task branches are gone from the remote; no worker keeps a worktree.
      expect(branches(remote).sort()).toEqual(['main', branch]);
      const survivor = dataDirs[workers.findIndex((w) => w.child.exitCode === null && w.child.signalCode === null)];
      const [clone] = readdirSync(join(survivor, 'clones'));
      expect(extraWorktrees(join(survivor, 'clones', clone))).toEqual([]);
      for (const d of dataDirs) expect(existsSync(join(d, 'runs', encodeURIComponent(id), '.worktrees'))).toBe(false);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
    }
  });

  it('the demo: imports 12 spec-kit tasks, runs 4 agents at once in worktrees, merges in dependency order, handles the conflict', async () => {
    const port = await freePort();
    const demo = await run('bash', [join(__dirname, '..', 'examples', 'agents', 'demo.sh'), '--port', String(port)]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('12 succeeded, 0 failed');
    expect(demo.stdout).toMatch(/speedup \d\.\d\dx on M=4/);
    // The tasks merged are git's merge commits (counted below); the conflict was a 13th try.
    expect(demo.stdout).toMatch(/merged into ptq\/\S+: 12 tasks, 1 conflict in 13 merges tried \(conflict rate 8%\)/);
    // The task whose merge conflicted ran twice, and both runs are counted.
    expect(demo.stdout).toMatch(/T00[68] +succeeded .* \$0\.0200/);
    expect(demo.stdout).toContain('worktrees left: 0');
    // Every task's merge comes after the merges of the tasks it depends on.
    const repo = /^repo: (.*)$/m.exec(demo.stdout)?.[1] as string;
    const branch = branches(repo).find((b) => b.startsWith('ptq/')) as string;
    const order = git(repo, 'log', '--merges', '--first-parent', '--reverse', '--format=%s', branch)
      .split('\n')
      .map((s) => /^Merge (T\d+)/.exec(s)?.[1]);
    expect(order).toHaveLength(12); // T006 once: its conflicting run was not merged
    expect(Number(/merged into \S+: (\d+) tasks/.exec(demo.stdout)?.[1])).toBe(order.length);
    const plan = JSON.parse(readFileSync(`${repo}.plan.json`, 'utf8')) as {
      tasks: Array<{ id: string; dependsOn: string[] }>;
    };
    for (const t of plan.tasks) for (const d of t.dependsOn) expect(order.indexOf(d)).toBeLessThan(order.indexOf(t.id));
    expect(git(repo, 'show', `${branch}:src/greeting.ts`).split('\n').sort()).toEqual(
      ['T006: Greeting model in src/greeting.ts (US1)', "export const fixture = 'hello, test';"].sort(),
    );
  });

  it('--sync-status writes in-progress, done and pending back to the TaskMaster tasks.json as tasks start and end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-sync-'));
    const file = join(dir, 'tasks.json');
    type Entry = { id: number; title: string; status: string; subtasks?: Entry[]; [field: string]: unknown };
    const task = (id: number, title: string, extra: Record<string, unknown> = {}): Entry => ({
      id,
      title,
      status: 'pending',
      dependencies: [] as number[],
      ...extra,
    });
    const list = {
      master: {
        tasks: [
          task(1, 'Done already', { status: 'done' }),
          task(2, 'Parent', {
            dependencies: [1],
            subtasks: [
              task(1, 'Slow part', { description: '@sleep 1500' }),
              task(2, 'Quick part', { dependencies: [1] }),
            ],
          }),
          task(3, 'Breaks', { description: '@fail the tests do not pass' }),
          task(4, 'After the parent', { dependencies: [2], complexity: 7 }),
        ],
        metadata: { created: '2026-11-01T00:00:00.000Z' },
      },
      other: { tasks: [task(1, 'Another tag')] },
    };
    writeFileSync(file, JSON.stringify(list, null, 2) + '\n');
    const read = () => JSON.parse(readFileSync(file, 'utf8')) as typeof list;
    // No workspace: the stand-in agent writes notes/TASK.md in the worker's directory, so not the repo's.
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'ptq-sync-worker-')));
    await withWorker(async ({ taskQueue }) => {
      const started = ptq(['start', '--plan', file, '--sync-status', '--task-queue', taskQueue, '--wait', '--json']);
      const midway = await waitFor(() => {
        const tasks = read().master.tasks;
        return tasks[1].subtasks?.[0].status === 'in-progress' ? tasks : undefined;
      });
      expect(midway[1].subtasks?.[1].status).toBe('pending'); // waits for its sibling
      expect(midway[3].status).toBe('pending');
      const summary = JSON.parse((await started).stdout) as RunSummary;
      expect(summary.status).toBe('failed');
    }).finally(() => process.chdir(cwd));
    const after = read();
    expect(after.master.tasks.map((t) => [t.id, t.status])).toEqual([
      [1, 'done'],
      [2, 'done'],
      [3, 'pending'], // it failed: not done, ready to be picked up again
      [4, 'done'],
    ]);
    expect(after.master.tasks[1].subtasks?.map((t) => t.status)).toEqual(['done', 'done']);
    // Everything else is as it was: other fields, the tag's metadata, other tags.
    expect({ ...after, master: { ...after.master, tasks: [] } }).toEqual({
      ...list,
      master: { ...list.master, tasks: [] },
    });
    expect(after.master.tasks[3]).toMatchObject({ complexity: 7, title: 'After the parent' });
    expect(readdirSync(dir)).toEqual(['tasks.json']); // no temp files left

    const md = join(dir, 'tasks.md');
    writeFileSync(md, '- [ ] T001 Something\n');
    const refused = await ptq(['start', '--plan', md, '--sync-status']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(
      `ptq: ${md}: --sync-status writes status back to a TaskMaster tasks.json, not to a speckit list`,
    );
  });

  it('--sync-status writes through a symlinked tasks.json: the link stays, the file it points at gets the status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-sync-link-'));
    const shared = join(dir, 'shared');
    const project = join(dir, 'project', '.taskmaster', 'tasks');
    mkdirSync(shared, { recursive: true });
    mkdirSync(project, { recursive: true });
    const target = join(shared, 'tasks.json');
    const link = join(project, 'tasks.json');
    const tasks = [1, 2].map((id) => ({ id, title: `Task ${id}`, status: 'pending', dependencies: [] }));
    writeFileSync(target, JSON.stringify({ master: { tasks } }, null, 2) + '\n', { mode: 0o640 });
    symlinkSync(join('..', '..', '..', 'shared', 'tasks.json'), link); // relative, as people make them
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'ptq-sync-worker-')));
    await withWorker(async ({ taskQueue }) => {
      const run = await ptq(['start', '--plan', link, '--sync-status', '--task-queue', taskQueue, '--wait', '--json']);
      expect((JSON.parse(run.stdout) as RunSummary).status).toBe('succeeded');
    }).finally(() => process.chdir(cwd));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const after = JSON.parse(readFileSync(target, 'utf8')) as { master: { tasks: Array<{ status: string }> } };
    expect(after.master.tasks.map((t) => t.status)).toEqual(['done', 'done']);
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect([readdirSync(shared), readdirSync(project)]).toEqual([['tasks.json'], ['tasks.json']]); // no temp files
  });
});

describe('ptq import', () => {
  it('writes a plan from a task list, warns about what it worked around, and refuses what is not a task list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-import-'));
    const list = join(dir, 'tasks.json');
    writeFileSync(
      list,
      JSON.stringify({
        tasks: [
          { id: 1, title: 'One', dependencies: [7] },
          { id: 2, title: 'Two', dependencies: [1] },
        ],
      }),
    );
    const out = join(dir, 'plan.yaml');
    const ok = await ptq(['import', list, '--agent', 'codex', '-o', out]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe(`warning: task 1 depends on 7, which is not in this list: dropped\nwrote ${out}: 2 tasks\n`);
    const validated = await ptq(['validate', out, '--json']);
    expect(JSON.parse(validated.stdout)).toMatchObject({ ok: true, tasks: 2, edges: 1 });
    expect(readFileSync(out, 'utf8')).toContain('agent: codex');

    const notes = join(dir, 'notes.md');
    writeFileSync(notes, '# Notes\n\n- buy milk\n');
    const bad = await ptq(['import', notes]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      `ptq: ${notes}: no tasks found: expected spec-kit lines like "- [ ] T001 [P] Title" or a list with [P:Group-A] markers`,
    );
  });
});

/** Runs a program to its end. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
