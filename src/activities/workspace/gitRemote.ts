import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import { bringIn, commitAll, git, gitOk, head, removeWorktree } from './gitCli';
import type { MergeOutcome, OpenWorkspace, TaskPlace } from '../../core/workspace';
import { dataRoot } from '../map/mapFiles';

/**
 * A workspace whose repo is a git URL: the remote is the shared state, so any worker can do any
 * step. Each worker keeps its own clone (under PTQ_DATA_DIR/clones) and works in worktrees that
 * live only as long as one activity: a step checks its task's branch out from the remote, runs,
 * commits and pushes; a merge checks out the integration branch, merges and pushes. Nothing is
 * left on a worker between activities, and a step whose worker died restarts from what the remote
 * holds: the work of the steps before it, never a half-done attempt.
 */

/** One git operation at a time on a clone (fetch, push and worktree changes take its locks). */
const locks = new Map<string, Promise<unknown>>();

function withClone<T>(clone: string, fn: () => Promise<T>): Promise<T> {
  const turn = (locks.get(clone) ?? Promise.resolve()).then(fn);
  locks.set(
    clone,
    turn.catch(() => undefined),
  );
  return turn;
}

/** This worker's clone of the remote, made on first use, fetched on every call. */
async function freshClone(remote: string): Promise<string> {
  const clone = join(dataRoot(), 'clones', createHash('sha256').update(remote).digest('hex').slice(0, 16));
  if (!existsSync(join(clone, '.git'))) {
    rmSync(clone, { recursive: true, force: true });
    mkdirSync(dirname(clone), { recursive: true });
    const cloned = await gitOk(dirname(clone), 'clone', '--quiet', '--no-checkout', remote, clone);
    if (!cloned.ok)
      throw ApplicationFailure.create(
        failureOf(
          'WorkspaceError',
          `workspace.git.repo ${remote} cannot be cloned: ${cloned.stderr.trim().split('\n').pop()}`,
        ),
      );
  }
  await git(clone, 'fetch', '--quiet', '--prune', 'origin');
  return clone;
}

async function remoteHas(clone: string, branch: string): Promise<boolean> {
  return (await gitOk(clone, 'rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`)).ok;
}

/** A worktree at the remote's tip of `branch`, on a local branch of that name. */
async function checkout(clone: string, path: string, branch: string): Promise<void> {
  await removeWorktree(clone, path);
  await git(clone, 'worktree', 'add', '--quiet', '-B', branch, path, `origin/${branch}`);
}

export async function openRemote(
  remote: string,
  base: string | undefined,
  branch: string,
  at: Pick<OpenWorkspace, 'root' | 'include' | 'merge'>,
): Promise<OpenWorkspace> {
  const clone = await freshClone(remote);
  return withClone(clone, async () => {
    const from = base ?? (await git(clone, 'symbolic-ref', '--short', 'refs/remotes/origin/HEAD')).trim().slice(7);
    const start = await gitOk(clone, 'rev-parse', '--verify', '--quiet', `origin/${from}^{commit}`);
    const commit = start.ok ? start : await gitOk(clone, 'rev-parse', '--verify', '--quiet', `${from}^{commit}`);
    if (!commit.ok)
      throw ApplicationFailure.create(
        failureOf('WorkspaceError', `workspace.git.base "${from}" is not a branch or commit of ${remote}`),
      );
    if (!(await remoteHas(clone, branch)))
      await git(clone, 'push', '--quiet', 'origin', `${commit.stdout.trim()}:refs/heads/${branch}`);
    return { repo: clone, remote, base: from, branch, integration: join(at.root, '_integration'), ...at };
  });
}

/** The task's branch, on the remote, from the integration branch as it is now. */
export async function prepareRemote(ws: OpenWorkspace, place: TaskPlace): Promise<TaskPlace> {
  const remote = ws.remote as string;
  const clone = await freshClone(remote);
  await withClone(clone, () =>
    git(clone, 'push', '--quiet', '--force', 'origin', `origin/${ws.branch}:refs/heads/${place.branch}`),
  );
  return { ...place, remote };
}

/** Before a step: its worktree, as the remote has the task's branch (a retry drops what a dead attempt did). */
export async function enterRemote(place: Required<TaskPlace>): Promise<void> {
  const clone = await freshClone(place.remote);
  await withClone(clone, () => checkout(clone, place.worktree, place.branch));
}

/** After a step: its work committed and pushed when it succeeded; the worktree removed either way. */
export async function leaveRemote(place: Required<TaskPlace>, succeeded: boolean, message: string): Promise<void> {
  const clone = await freshClone(place.remote);
  await withClone(clone, async () => {
    if (succeeded && existsSync(place.worktree)) {
      await commitAll({ repo: clone, include: [] }, place.worktree, message);
      await git(place.worktree, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${place.branch}`);
    }
    await removeWorktree(clone, place.worktree);
  });
}

/** Merges the task's branch into the integration branch and pushes it; a merge already pushed is not redone. */
export async function mergeRemote(
  ws: OpenWorkspace,
  task: string,
  title: string,
  place: TaskPlace,
): Promise<MergeOutcome> {
  const clone = await freshClone(ws.remote as string);
  return withClone(clone, async () => {
    const local = { ...ws, repo: clone };
    const commits = Number(await git(clone, 'rev-list', '--count', `origin/${ws.branch}..origin/${place.branch}`));
    if (commits === 0)
      return { ok: true, commits: 0, head: (await git(clone, 'rev-parse', `origin/${ws.branch}`)).trim() };
    try {
      await checkout(clone, ws.integration, ws.branch);
      await checkout(clone, place.worktree, place.branch);
      const conflicts = await bringIn(local, place, `Merge ${task}: ${title}`);
      if (conflicts.length) return { ok: false, conflicts };
      // Rebased: the task's branch moves too, so a retry of this activity finds nothing left to merge.
      if (ws.merge === 'rebase')
        await git(place.worktree, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${place.branch}`);
      await git(ws.integration, 'push', '--quiet', 'origin', `HEAD:refs/heads/${ws.branch}`);
      return { ok: true, commits, head: await head(ws.integration) };
    } finally {
      await removeWorktree(clone, place.worktree);
      await removeWorktree(clone, ws.integration);
    }
  });
}

/** At the end: the task branches are deleted from the remote; the integration branch stays. */
export async function closeRemote(ws: OpenWorkspace): Promise<number> {
  const clone = await freshClone(ws.remote as string);
  return withClone(clone, async () => {
    const refs = (
      await git(clone, 'for-each-ref', '--format=%(refname:lstrip=3)', `refs/remotes/origin/${ws.branch}--*`)
    )
      .split('\n')
      .filter(Boolean);
    if (refs.length) await git(clone, 'push', '--quiet', 'origin', '--delete', ...refs);
    rmSync(ws.root, { recursive: true, force: true });
    await git(clone, 'worktree', 'prune');
    return refs.length;
  });
}
