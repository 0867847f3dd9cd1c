import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';
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
          { id: 'api', title: 'Add the API', run: { type: 'agent', agent: 'claude', prompt: `@write src/api.ts export const api = 1;\n@sleep 300\n@log ${log}` } },
          { id: 'db', title: 'Add the DB', run: { type: 'agent', agent: 'codex', prompt: `@write src/db.ts export const db = 1;\n@sleep 300\n@log ${log}` } },
          {
            id: 'wire',
            title: 'Wire them',
            dependsOn: ['api', 'db'],
            run: [
              // Runs in its worktree, which already holds both dependencies' merged work.
              { type: 'shell', command: ['cat', 'src/api.ts', 'src/db.ts'] },
              { type: 'agent', agent: 'claude', prompt: `@write src/main.ts import './api'; import './db';\n@log ${log}` },
            ],
          },
        ],
      });
      const handle = await startRun(client, p, { id, taskQueue });
      return handle.result();
    });
    expect(summary.status).toBe('succeeded');
    const wire = summary.tasks.find((t) => t.id === 'wire');
    expect(wire?.output).toContain('done:');

    // Each agent ran in its own worktree, and the two independent ones overlapped in time.
    const runs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cwd: string; start: number; end: number; prompt: string });
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
});
