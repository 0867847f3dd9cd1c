/**
 * What every importer produces: tasks in plan terms (ids, dependencies, text for the prompt), plus
 * one warning per problem it worked around, each naming the original id. Pure: text in, data out.
 */
export interface ImportedTask {
  id: string;
  title: string;
  description?: string;
  details?: string;
  testStrategy?: string;
  /** Paths or globs the task edits, where the list says so; they feed the overlap mutex. */
  files?: string[];
  dependsOn: string[];
  priority?: number;
  /** A parent whose work is its subtasks: it completes when they do and runs no agent. */
  join?: boolean;
  /** TaskMaster: the task (and subtask) it was read from, as written. */
  origin?: TaskOrigin;
}

/** A TaskMaster task or subtask by its written ids; `nth` tells repeated subtask ids apart. */
export interface TaskOrigin {
  task: string;
  subtask?: string;
  nth?: number;
}

export type ImportFormat = 'taskmaster' | 'speckit' | 'markdown';

export interface Imported {
  format: ImportFormat;
  name: string;
  tasks: ImportedTask[];
  /** TaskMaster: the tag read (none for the legacy form). */
  tag?: string;
  warnings: string[];
  /** Tasks left out because they are done already. */
  done: number;
}

export interface ImportOptions {
  /** TaskMaster: which tag to import (default: master, or the only tag). */
  tag?: string;
  /** Keep tasks marked done. */
  includeDone?: boolean;
}

/** Thrown when a file is not in the format it claims; one line, naming where. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

const TASK_ID = /^[A-Za-z0-9][\w.:-]*$/;

/** An id that ptq accepts (it becomes part of a workflow id), and whether it had to change. */
export function planId(raw: string): string {
  if (TASK_ID.test(raw)) return raw;
  const cleaned = raw.trim().replace(/[^\w.:-]+/g, '-');
  return /^[A-Za-z0-9]/.test(cleaned) ? cleaned : `t${cleaned}`;
}

/**
 * Imported text must not turn into templates: a task description that mentions `{{user}}` (common
 * in code) would otherwise be read as a ptq template and fail validation.
 */
export function inertText(text: string): string {
  return text.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');
}

/**
 * Leaves out the tasks marked done without losing the order they carried: a task that waited for a
 * done one waits for what that one waited for, through any run of done tasks, so phase 2 still
 * waits for phase 1 when the last task of phase 1 is done. Dependencies come out without repeats;
 * one warning says how many tasks were left out.
 */
export function withoutDone(tasks: ImportedTask[], done: Set<string>, warnings: string[]): ImportedTask[] {
  const depsOf = new Map(tasks.map((t) => [t.id, t.dependsOn] as const));
  const kept = tasks.filter((t) => !done.has(t.id));
  for (const task of kept) {
    const deps = new Set<string>();
    const seen = new Set<string>();
    const stack = [...task.dependsOn].reverse();
    while (stack.length) {
      const dep = stack.pop() as string;
      if (!done.has(dep)) deps.add(dep);
      else if (!seen.has(dep)) {
        seen.add(dep);
        stack.push(...[...(depsOf.get(dep) ?? [])].reverse());
      }
    }
    task.dependsOn = [...deps].filter((d) => d !== task.id);
  }
  if (done.size === 0) return kept;
  warnings.push(
    `left out ${done.size} task${done.size === 1 ? '' : 's'} marked done (--include-done keeps them); ` +
      'the tasks after them still wait for what came before',
  );
  return kept;
}
