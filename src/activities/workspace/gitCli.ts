import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import type { Workspace } from '../../core';

/** The git plumbing the workspace activities share, local repo or clone of a remote alike. */

/** Settings for every git ptq runs: no program a task could have named in the repository runs. */
const NO_COMMANDS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** What merging needs to know of a workspace. */
export interface MergeTarget {
  repo: string;
  branch: string;
  integration: string;
  include: string[];
  merge: Workspace['merge'];
}

export async function bringIn(
  ws: MergeTarget,
  place: { worktree: string; branch: string },
  message: string,
): Promise<string[]> {
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

export async function commitAll(
  ws: Pick<MergeTarget, 'include' | 'repo'>,
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
export async function undoHalfMerge(integration: string): Promise<void> {
  if ((await gitOk(integration, 'rev-parse', '-q', '--verify', 'MERGE_HEAD')).ok)
    await gitOk(integration, 'merge', '--abort');
  await git(integration, 'reset', '--hard', '--quiet', 'HEAD');
}

export async function unmerged(cwd: string): Promise<string[]> {
  const out = await gitOk(cwd, 'diff', '--name-only', '--diff-filter=U');
  return out.stdout.split('\n').filter(Boolean);
}

export async function removeWorktree(repo: string, path: string): Promise<void> {
  if (existsSync(path)) await gitOk(repo, 'worktree', 'remove', '--force', path);
  rmSync(path, { recursive: true, force: true });
  await git(repo, 'worktree', 'prune');
}

export async function currentBranch(repo: string): Promise<string> {
  const r = await gitOk(repo, 'symbolic-ref', '--quiet', '--short', 'HEAD');
  return r.ok ? r.stdout.trim() : (await git(repo, 'rev-parse', 'HEAD')).trim();
}

export async function head(cwd: string): Promise<string> {
  return (await git(cwd, 'rev-parse', 'HEAD')).trim();
}

/** Commits need an author; a repo without one (CI machines) gets ptq's. */
export async function identity(repo: string): Promise<string[]> {
  const email = await gitOk(repo, 'config', 'user.email');
  return email.ok && email.stdout.trim() ? [] : ['-c', 'user.name=ptq', '-c', 'user.email=ptq@localhost'];
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

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await gitOk(cwd, ...args);
  if (!r.ok) {
    const line = r.stderr.trim().split('\n').pop() ?? '';
    const command = args.filter((a) => a !== '-c').slice(0, 3);
    throw ApplicationFailure.create(failureOf('GitError', `git ${command.join(' ')} failed in ${cwd}: ${line}`));
  }
  return r.stdout;
}

/**
 * Runs one of ptq's own git commands. It runs no hook (a task may have written one into the shared
 * .git, see gitHooks.ts) and no fsmonitor command, and it gets the worker's environment, which
 * holds no secrets (workerSecrets.ts).
 */
export function gitOk(cwd: string, ...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  if (!isAbsolute(cwd)) cwd = resolve(cwd);
  return new Promise((done) => {
    execFile(
      'git',
      [...NO_COMMANDS, ...args],
      { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout, stderr) => done({ ok: !err, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}
