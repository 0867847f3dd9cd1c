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

/** Drops dependencies on tasks left out (done), keeps the rest in order, without repeats. */
export function keepDeps(deps: string[], kept: Set<string>): string[] {
  return [...new Set(deps)].filter((d) => kept.has(d));
}
