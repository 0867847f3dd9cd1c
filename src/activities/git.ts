import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Workspace } from '../core';
import { resolveString } from '../core/template';
import { keepHeartbeating } from './context';
import { mapDir } from './mapFiles';

/**
 * The workspace of a run: a git repository, an integration branch that collects every task's
 * work, and one worktree per task on its own branch. Every operation is idempotent, because
 * Temporal retries it after a crash: a worktree is recreated, a merge already done is not done
 * twice, a half-done merge is undone first.
 */

/** What the workflow keeps of an opened workspace and hands to every git activity. */
export interface OpenWorkspace {
  repo: string;
  base: string;
  /** The integration branch. */
  branch: string;
  /** Its worktree, where merges happen. */
  integration: string;
  /** The folder holding the run's worktrees. */
  root: string;
  include: string[];
  merge: Workspace['merge'];
}

/** Where a task works. */
export interface TaskPlace {
  worktree: string;
  branch: string;
}

/** How a task's work came back: merged (with how many commits), or the files in conflict. */
export type MergeOutcome = { ok: true; commits: number; head: string } | { ok: false; conflicts: string[] };

export async function openWorkspace(input: { runId: string; workspace: Workspace }): Promise<OpenWorkspace> {
  const { runId, workspace } = input;
  const repo = resolve(workspace.git.repo);
  if (!(await gitOk(repo, 'rev-parse', '--git-dir')).ok)
    throw ApplicationFailure.nonRetryable(
      `workspace.git.repo ${repo} is not a git repository (every worker must reach it at that path)`,
      'WorkspaceError',
    );
  const base = workspace.git.base ?? (await currentBranch(repo));
  if (!(await gitOk(repo, 'rev-parse', '--verify', '--quiet', `${base}^{commit}`)).ok)
    throw ApplicationFailure.nonRetryable(
      `workspace.git.base "${base}" is not a branch or commit of ${repo}`,
      'WorkspaceError',
    );
  const branch = branchName(
    resolveString(workspace.git.branch, { tasks: {}, params: {}, run: { id: runId }, task: { id: '' } }),
  );
  if (!(await gitOk(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`)).ok)
    await git(repo, 'branch', branch, base);
  const root = runWorktrees(runId);
  const integration = join(root, '_integration');
  await git(repo, 'worktree', 'prune');
  if (!existsSync(join(integration, '.git'))) {
    rmSync(integration, { recursive: true, force: true });
    await git(repo, 'worktree', 'add', integration, branch);
  }
  return { repo, base, branch, integration, root, include: workspace.include, merge: workspace.merge };
}

/** A fresh worktree for the task, on its own branch, from the integration branch as it is now. */
export async function prepareWorktree(input: { ws: OpenWorkspace; task: string }): Promise<TaskPlace> {
  const { ws, task } = input;
  const worktree = join(ws.root, branchName(task));
  const branch = taskBranch(ws, task);
  await removeWorktree(ws.repo, worktree);
  await git(ws.repo, 'worktree', 'add', '-B', branch, worktree, ws.branch);
  writeFileSync(join(await gitDir(worktree), 'ptq-include'), ws.include.join('\n'));
  for (const path of ws.include) {
    const from = join(ws.repo, path);
    const to = join(worktree, path);
    if (!existsSync(from) || existsSync(to)) continue;
    // Big folders (node_modules) are linked; files (.env) are copied, so a task may change its own.
    if (statSync(from).isDirectory()) symlinkSync(from, to, 'dir');
    else cpSync(from, to);
  }
  return { worktree, branch };
}

/**
 * Commits what the task left uncommitted (its title as the message), then brings its branch into
 * the integration branch. The workflow calls this for one task at a time.
 */
export async function mergeTask(input: {
  ws: OpenWorkspace;
  task: string;
  title: string;
  place: TaskPlace;
}): Promise<MergeOutcome> {
  const { ws, task, title, place } = input;
  const stop = keepHeartbeating();
  try {
    await commitAll(ws, place.worktree, `${title}\n\nptq task ${task}`);
    if (place.worktree === ws.integration) return { ok: true, commits: 0, head: await head(ws.integration) };
    await undoHalfMerge(ws.integration);
    const commits = Number(await git(ws.repo, 'rev-list', '--count', `${ws.branch}..${place.branch}`));
    if (commits === 0) return { ok: true, commits: 0, head: await head(ws.integration) };
    const conflicts = await bringIn(ws, place, `Merge ${task}: ${title}`);
    return conflicts.length ? { ok: false, conflicts } : { ok: true, commits, head: await head(ws.integration) };
  } finally {
    stop();
  }
}

/**
 * Called by a shell or agent step before it runs in a worktree. A first attempt checkpoints what
 * earlier steps left (a commit, only if anything changed) and records where it starts; a retry
 * (its worker died, or it failed) goes back to exactly that point, so a half-done attempt's edits
 * are neither kept nor doubled.
 */
export async function enterWorktree(worktree: string, step: string, attempt: number): Promise<void> {
  const dir = await gitDir(worktree);
  const marker = join(dir, `ptq-step-${step.replace(/[^\w.-]/g, '_')}`);
  const include = existsSync(join(dir, 'ptq-include'))
    ? readFileSync(join(dir, 'ptq-include'), 'utf8').split('\n').filter(Boolean)
    : [];
  if (attempt > 1 && existsSync(marker)) {
    await git(worktree, 'reset', '--hard', '--quiet', readFileSync(marker, 'utf8').trim());
    await git(worktree, 'clean', '-fdq', ...include.flatMap((p) => ['-e', p]));
    return;
  }
  const ws = { include, repo: worktree };
  await commitAll(ws, worktree, `ptq: checkpoint before step ${step}`);
  writeFileSync(marker, await head(worktree));
}

async function gitDir(worktree: string): Promise<string> {
  return resolve(worktree, (await git(worktree, 'rev-parse', '--git-dir')).trim());
}

/** Removes the run's worktrees and task branches. The integration branch stays, for review. */
export async function closeWorkspace(input: { ws: OpenWorkspace }): Promise<{ removed: number }> {
  return { removed: await cleanWorktrees(input.ws.repo, input.ws.root) };
}

/**
 * Removes every worktree under `root` and deletes their branches, except the integration
 * worktree's branch. Also what `ptq clean RUN` runs.
 */
export async function cleanWorktrees(repo: string, root: string): Promise<number> {
  const listed = await git(repo, 'worktree', 'list', '--porcelain');
  const entries = listed.split('\n\n').map((block) => ({
    path: /^worktree (.*)$/m.exec(block)?.[1] ?? '',
    branch: /^branch refs\/heads\/(.*)$/m.exec(block)?.[1],
  }));
  const ours = entries.filter((e) => e.path === root || e.path.startsWith(root + sep));
  const integration = ours.find((e) => e.path === join(root, '_integration'))?.branch;
  for (const e of ours) await removeWorktree(repo, e.path);
  const taskBranches = integration
    ? (await git(repo, 'for-each-ref', '--format=%(refname:short)', `refs/heads/${integration}--*`)).split('\n')
    : [];
  const branches = new Set(
    [...ours.map((e) => e.branch), ...taskBranches].filter((b): b is string => !!b && b !== integration),
  );
  for (const b of branches) await gitOk(repo, 'branch', '-D', b);
  rmSync(root, { recursive: true, force: true });
  await git(repo, 'worktree', 'prune');
  return ours.length;
}

/** The worktrees folder of a run, as the workflow's activities lay it out. */
export function runWorktrees(runId: string): string {
  // Task ids never start with ".", so no map task's folder can clash with it.
  return join(mapDir(runId), '.worktrees');
}

async function bringIn(ws: OpenWorkspace, place: TaskPlace, message: string): Promise<string[]> {
  const id = identity(ws.repo);
  if (ws.merge === 'rebase') {
    if ((await gitOk(place.worktree, ...(await id), 'rebase', ws.branch)).ok) {
      await git(ws.integration, 'merge', '--ff-only', place.branch);
      return [];
    }
    const conflicts = await unmerged(place.worktree);
    await gitOk(place.worktree, 'rebase', '--abort');
    return conflicts;
  }
  const args =
    ws.merge === 'squash' ? ['merge', '--squash', place.branch] : ['merge', '--no-ff', '-m', message, place.branch];
  if ((await gitOk(ws.integration, ...(await id), ...args)).ok) {
    if (ws.merge === 'squash') await git(ws.integration, ...(await id), 'commit', '-m', message);
    return [];
  }
  const conflicts = await unmerged(ws.integration);
  await undoHalfMerge(ws.integration);
  return conflicts;
}

async function commitAll(
  ws: Pick<OpenWorkspace, 'include' | 'repo'>,
  worktree: string,
  message: string,
): Promise<void> {
  // Files copied or linked in by `include` are not the task's work.
  const excludes = ws.include.map((p) => `:(exclude)${p}`);
  await git(worktree, 'add', '-A', '--', '.', ...excludes);
  if ((await gitOk(worktree, 'diff', '--cached', '--quiet')).ok) return;
  await git(worktree, ...(await identity(ws.repo)), 'commit', '--no-verify', '-m', message);
}

/** A merge that a crash interrupted is undone before the next one; the integration worktree holds no other changes. */
async function undoHalfMerge(integration: string): Promise<void> {
  if ((await gitOk(integration, 'rev-parse', '-q', '--verify', 'MERGE_HEAD')).ok)
    await gitOk(integration, 'merge', '--abort');
  await git(integration, 'reset', '--hard', '--quiet', 'HEAD');
}

async function unmerged(cwd: string): Promise<string[]> {
  const out = await gitOk(cwd, 'diff', '--name-only', '--diff-filter=U');
  return out.stdout.split('\n').filter(Boolean);
}

async function removeWorktree(repo: string, path: string): Promise<void> {
  if (existsSync(path)) await gitOk(repo, 'worktree', 'remove', '--force', path);
  rmSync(path, { recursive: true, force: true });
  await git(repo, 'worktree', 'prune');
}

async function currentBranch(repo: string): Promise<string> {
  const r = await gitOk(repo, 'symbolic-ref', '--quiet', '--short', 'HEAD');
  return r.ok ? r.stdout.trim() : (await git(repo, 'rev-parse', 'HEAD')).trim();
}

async function head(cwd: string): Promise<string> {
  return (await git(cwd, 'rev-parse', 'HEAD')).trim();
}

/** Commits need an author; a repo without one (CI machines) gets ptq's. */
async function identity(repo: string): Promise<string[]> {
  const email = await gitOk(repo, 'config', 'user.email');
  return email.ok && email.stdout.trim() ? [] : ['-c', 'user.name=ptq', '-c', 'user.email=ptq@localhost'];
}

function taskBranch(ws: OpenWorkspace, task: string): string {
  return `${ws.branch}--${branchName(task)}`;
}

/** A name git accepts as a branch (run and task ids may hold ":" or start with "."). */
export function branchName(name: string): string {
  const cleaned = name
    .split('/')
    .map((part) =>
      part
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/\.{2,}/g, '.')
        .replace(/^[.-]+|\.lock$|\.+$/g, ''),
    )
    .filter(Boolean)
    .join('/');
  return cleaned || 'ptq';
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await gitOk(cwd, ...args);
  if (!r.ok) {
    const line = r.stderr.trim().split('\n').pop() ?? '';
    throw ApplicationFailure.retryable(
      `git ${args
        .filter((a) => a !== '-c')
        .slice(0, 3)
        .join(' ')} failed in ${cwd}: ${line}`,
      'GitError',
    );
  }
  return r.stdout;
}

function gitOk(cwd: string, ...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  if (!isAbsolute(cwd)) cwd = resolve(cwd);
  return new Promise((done) => {
    execFile(
      'git',
      args,
      { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout, stderr) => done({ ok: !err, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}
