import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import { isGitUrl, type Workspace } from '../../core';
import type { MergeOutcome, OpenWorkspace, TaskPlace } from '../../core/workspace';
import { resolveString } from '../../core/plan/template';
import { keepHeartbeating } from '../steps/stepResult';
import {
  branchName,
  bringIn,
  commitAll,
  currentBranch,
  git,
  gitOk,
  head,
  removeWorktree,
  undoHalfMerge,
} from './gitCli';
import { hookDigests, restoreHooks } from './gitHooks';
import { closeRemote, mergeRemote, openRemote, prepareRemote } from './gitRemote';
import { runDir } from '../map/mapFiles';

export { branchName } from './gitCli';

/**
 * The workspace of a run: a git repository, an integration branch that collects every task's
 * work, and one worktree per task on its own branch. Every operation is idempotent, because
 * Temporal retries it after a crash: a worktree is recreated, a merge already done is not done
 * twice, a half-done merge is undone first.
 */

export async function openWorkspace(input: { runId: string; workspace: Workspace }): Promise<OpenWorkspace> {
  const { runId, workspace } = input;
  const branch = branchName(
    resolveString(workspace.git.branch, { tasks: {}, params: {}, run: { id: runId }, task: { id: '' } }),
  );
  const root = runWorktrees(runId);
  if (isGitUrl(workspace.git.repo))
    return openRemote(workspace.git.repo, workspace.git.base, branch, {
      root,
      include: workspace.include,
      merge: workspace.merge,
    });
  const repo = resolve(workspace.git.repo);
  if (!(await gitOk(repo, 'rev-parse', '--git-dir')).ok)
    throw ApplicationFailure.create(
      failureOf(
        'WorkspaceError',
        `workspace.git.repo ${repo} is not a git repository (every worker must reach it at that path)`,
      ),
    );
  const base = workspace.git.base ?? (await currentBranch(repo));
  if (!(await gitOk(repo, 'rev-parse', '--verify', '--quiet', `${base}^{commit}`)).ok)
    throw ApplicationFailure.create(
      failureOf('WorkspaceError', `workspace.git.base "${base}" is not a branch or commit of ${repo}`),
    );
  if (!(await gitOk(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`)).ok)
    await git(repo, 'branch', branch, base);
  const integration = join(root, '_integration');
  await git(repo, 'worktree', 'prune');
  if (!existsSync(join(integration, '.git'))) {
    rmSync(integration, { recursive: true, force: true });
    await git(repo, 'worktree', 'add', integration, branch);
  }
  const hooks = await hookDigests(repo);
  return { repo, base, branch, integration, root, include: workspace.include, merge: workspace.merge, hooks };
}

/**
 * A fresh worktree for the task, on its own branch, from the integration branch as it is now. With
 * `group` (isolation: group), the group's worktree: made once, then moved to the integration tip for
 * each of its tasks, keeping ignored files (dependencies, builds) warm.
 */
export async function prepareWorktree(input: { ws: OpenWorkspace; task: string; group?: string }): Promise<TaskPlace> {
  const { ws, task, group } = input;
  // Task ids start with a letter or digit, so "_group-" names cannot clash with a task's.
  const name = group === undefined ? branchName(task) : `_group-${branchName(group)}`;
  const worktree = join(ws.root, name);
  const branch = taskBranch(ws, name);
  if (ws.remote) return prepareRemote(ws, { worktree, branch });
  if (group !== undefined && existsSync(join(worktree, '.git'))) return rewarm(ws, worktree, branch);
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

/** The group's worktree for its next task: what a failed task left is dropped, ignored files stay. */
async function rewarm(ws: OpenWorkspace, worktree: string, branch: string): Promise<TaskPlace> {
  await git(worktree, 'reset', '--hard', '--quiet');
  await git(worktree, 'clean', '-fdq', ...ws.include.flatMap((p) => ['-e', p]));
  await git(worktree, 'checkout', '--quiet', '-B', branch, ws.branch);
  // Step checkpoints belong to the task before (activity ids repeat across tasks).
  const dir = await gitDir(worktree);
  for (const f of readdirSync(dir)) if (f.startsWith('ptq-step-')) rmSync(join(dir, f));
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
    if (ws.remote) return await mergeRemote(ws, task, title, place);
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

/**
 * Removes the run's worktrees and task branches, and the git hooks its tasks added to the repo
 * (gitHooks.ts). The integration branch stays, for review.
 */
export async function closeWorkspace(input: { ws: OpenWorkspace }): Promise<{ removed: number }> {
  const { ws } = input;
  if (ws.remote) return { removed: await closeRemote(ws) };
  const removed = await cleanWorktrees(ws.repo, ws.root);
  if (ws.hooks) for (const line of await restoreHooks(ws.repo, ws.hooks)) log.warn(`${ws.repo}: ${line}`);
  return { removed };
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
  return join(runDir(runId), '.worktrees');
}

function taskBranch(ws: OpenWorkspace, task: string): string {
  return `${ws.branch}--${branchName(task)}`;
}
