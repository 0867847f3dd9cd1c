import type { Workspace } from './plan/plan';

/**
 * The runtime side of a plan's workspace: what the git activities (activities/workspace) hand the
 * workflow and take back. Plain types, so the workflows, shared.ts and both git modules depend on
 * core rather than on each other.
 */

/** What the workflow keeps of an opened workspace and hands to every git activity. */
export interface OpenWorkspace {
  /** The repo on the worker that opened it (with `remote`: that worker's clone). */
  repo: string;
  /** A repo given as a git URL: the shared state every worker fetches from and pushes to. */
  remote?: string;
  base: string;
  /** The integration branch. */
  branch: string;
  /** Its worktree, where merges happen. */
  integration: string;
  /** The folder holding the run's worktrees. */
  root: string;
  include: string[];
  merge: Workspace['merge'];
  /** The local repo's hooks when the run opened it; closing the workspace undoes what tasks did to them. */
  hooks?: HookDigests;
}

/** Each hook git could run (any file but `*.sample`) by name, with a digest of its content and mode. */
export type HookDigests = Record<string, string>;

/** Where a task works. */
export interface TaskPlace {
  worktree: string;
  branch: string;
  /** With a remote repo: its URL, for the step to check the branch out from and push to. */
  remote?: string;
}

/** How a task's work came back: merged (with how many commits), or the files in conflict. */
export type MergeOutcome = { ok: true; commits: number; head: string } | { ok: false; conflicts: string[] };
