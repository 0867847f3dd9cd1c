import { readFileSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isGitUrl, validatePlan, type Plan, type StatusSync } from './core';
import { PlanError } from './errors';
import { detectFormat, ImportError, importTasks, toPlan, type Imported, type StepChoice } from './importers';

/** How to turn a task list from another tool into a plan (`ptq import`, `ptq start --plan tasks.md`). */
export interface ImportFlags {
  /** TaskMaster tag. */
  tag?: string;
  includeDone?: boolean;
  /** The agent each task runs (default claude)... */
  agent?: 'claude' | 'codex';
  /** ...or a step template file (JSON or YAML) with {{import.*}} fields. */
  stepTemplate?: string;
  /** A plan file whose settings (workspace, M, defaults) the imported tasks run under. */
  base?: string;
  /** TaskMaster: write task status back to the file as the run goes (`--sync-status`). */
  syncStatus?: boolean;
  /** Told about each problem the importer worked around. */
  onWarning?: (line: string) => void;
}

/**
 * Reads a plan from a JSON or YAML file and validates it completely. Throws a PlanError listing
 * every problem, so nothing starts from a half-valid plan. A TaskMaster tasks.json, a spec-kit
 * tasks.md or a [P:Group-X] markdown list is imported first.
 */
export function loadPlanFile(path: string, flags: ImportFlags = {}): Plan {
  const text = readText(path);
  const imported = importedPlan(path, text, flags);
  if (flags.syncStatus && !imported)
    throw new PlanError(path, ['--sync-status writes status back to a TaskMaster tasks.json: this is a ptq plan']);
  return withLocalPaths(imported ? checked(imported, path) : parsePlanText(text, path));
}

/** The plan a task list from another tool becomes, or undefined when the file is a ptq plan. */
export function importedPlan(path: string, text: string, flags: ImportFlags): unknown {
  const parsed = /\.json$/i.test(path) ? parseOrUndefined(text) : undefined;
  const format = detectFormat(path, text, parsed);
  if (!format) return undefined;
  try {
    const list = importTasks(format, text, parsed, { ...flags, name: basename(path).replace(/\.\w+$/, '') });
    for (const w of list.warnings) flags.onWarning?.(w);
    if (flags.syncStatus && format !== 'taskmaster')
      throw new ImportError(`--sync-status writes status back to a TaskMaster tasks.json, not to a ${format} list`);
    const choice: StepChoice = flags.stepTemplate
      ? { template: readData(flags.stepTemplate) }
      : { agent: flags.agent ?? 'claude' };
    const base = flags.base ? readData(flags.base) : {};
    if (typeof base !== 'object' || base === null || Array.isArray(base) || 'tasks' in base)
      throw new ImportError(
        `--base ${flags.base}: give a plan's settings without "tasks" (workspace, maxConcurrency...)`,
      );
    const plan = toPlan(list, choice, base as Record<string, unknown>);
    return flags.syncStatus ? { ...plan, sync: statusSync(resolve(path), list) } : plan;
  } catch (err) {
    if (err instanceof ImportError) throw new PlanError(path, [err.message]);
    throw err;
  }
}

/** Where each task's status goes: its TaskMaster task or subtask in the file. */
function statusSync(file: string, list: Imported): StatusSync {
  const tasks = Object.fromEntries(list.tasks.flatMap((t) => (t.origin ? [[t.id, t.origin]] : [])));
  return { taskmaster: { file, ...(list.tag ? { tag: list.tag } : {}), tasks } };
}

/** Parses plan text (JSON is YAML, so one parser serves both) and validates it. */
export function parsePlanText(text: string, source = 'plan'): Plan {
  return checked(parseData(text, source), source);
}

function checked(raw: unknown, source: string): Plan {
  const result = validatePlan(raw);
  if (!result.ok) throw new PlanError(source, result.error);
  return result.value;
}

/**
 * A workspace repo given as a relative path is where `ptq` runs, made absolute here: the worker
 * that opens it may run anywhere.
 */
function withLocalPaths(plan: Plan): Plan {
  const repo = plan.workspace?.git.repo;
  if (!repo || isAbsolute(repo) || isGitUrl(repo)) return plan;
  return { ...plan, workspace: { ...plan.workspace!, git: { ...plan.workspace!.git, repo: resolve(repo) } } };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, ''); // editors on Windows write a byte-order mark
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanError(path, [code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`]);
  }
}

function readData(path: string): unknown {
  return parseData(readText(path), path);
}

function parseData(text: string, source: string): unknown {
  text = text.replace(/^\uFEFF/, '');
  try {
    return /\.json$/i.test(source) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const kind = /\.json$/i.test(source) ? 'invalid JSON' : 'invalid YAML';
    throw new PlanError(source, [`${kind}: ${(err as Error).message.split('\n')[0]}`]);
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
