import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HookDigests } from '../../core/workspace';
import { git } from './gitCli';

/**
 * A task works in a worktree of the user's repository, and the repository's .git, hooks included,
 * is shared by every worktree: a task can write `$(git rev-parse --git-common-dir)/hooks/post-merge`.
 * ptq's own git runs no hook (gitCli.ts sets core.hooksPath to /dev/null), so such a hook never
 * runs with the worker's environment. And a run must not leave one behind for the user's next
 * `git pull`: the workspace records the hooks as they were when it opened (in the workflow, where
 * no task can change the record), and closing it removes every hook the run added and disables
 * (clears the executable bit of) every hook it changed, whose old content it does not keep.
 */

/** The hooks of the repository now. */
export async function hookDigests(repo: string): Promise<HookDigests> {
  const dir = await hooksDir(repo);
  const out: HookDigests = {};
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const digest = digestOf(join(dir, name));
    if (digest && !name.endsWith('.sample')) out[name] = digest;
  }
  return out;
}

/** Undoes what the run did to the hooks since `before`; returns one line per hook it removed or disabled. */
export async function restoreHooks(repo: string, before: HookDigests): Promise<string[]> {
  const dir = await hooksDir(repo);
  const done: string[] = [];
  for (const [name, digest] of Object.entries(await hookDigests(repo))) {
    if (before[name] === digest) continue;
    const file = join(dir, name);
    if (before[name] === undefined) {
      rmSync(file, { force: true });
      done.push(`removed hook ${name}, which a task of this run added`);
    } else if (digest.endsWith(':x')) {
      chmodSync(file, statSync(file).mode & ~0o111);
      done.push(`disabled hook ${name} (no longer executable), which a task of this run changed`);
    }
  }
  return done;
}

async function hooksDir(repo: string): Promise<string> {
  // Not `--git-path hooks`: ptq's git sees core.hooksPath as /dev/null. The tasks write here.
  return join(resolve(repo, (await git(repo, 'rev-parse', '--git-common-dir')).trim()), 'hooks');
}

function digestOf(file: string): string | undefined {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return undefined;
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
    return `${hash}:${stat.mode & 0o111 ? 'x' : '-'}`;
  } catch {
    return undefined; // gone meanwhile
  }
}
