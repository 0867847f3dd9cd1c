import { z } from 'zod';
import {
  ImportError,
  inertText,
  planId,
  type Imported,
  type ImportedTask,
  type ImportOptions,
  type TaskOrigin,
  withoutDone,
} from './types';

/**
 * TaskMaster (`task-master-ai`) tasks.json: the tagged form `{"master": {"tasks": [...]}}` and
 * the legacy `{"tasks": [...]}`. Real files are loose, so the schema is too: ids are numbers or
 * strings (even floats like 29.1 for subtask 29.1), dependencies mix both, fields may be missing.
 */
const Id = z.union([z.number(), z.string()]);
const Subtask = z
  .object({
    id: Id,
    title: z.string().nullish(),
    description: z.string().nullish(),
    details: z.string().nullish(),
    testStrategy: z.string().nullish(),
    status: z.string().nullish(),
    dependencies: z.array(Id).nullish(),
  })
  .loose();
const TmTask = Subtask.extend({
  priority: z.string().nullish(),
  subtasks: z.array(Subtask).nullish(),
});
const TaskList = z.object({ tasks: z.array(TmTask) }).loose();
type TmTask = z.infer<typeof TmTask>;

const PRIORITY: Record<string, number> = { high: 2, medium: 1, low: 0 };

/** Whether parsed JSON looks like a TaskMaster file (either form). */
export function isTaskMaster(raw: unknown): boolean {
  if (!isObject(raw)) return false;
  if (Array.isArray(raw.tasks)) return !('maxConcurrency' in raw) && raw.tasks.some(hasTmShape);
  return Object.values(raw).some((tag) => isObject(tag) && Array.isArray(tag.tasks));
}

function hasTmShape(t: unknown): boolean {
  return isObject(t) && ('subtasks' in t || 'dependencies' in t || 'testStrategy' in t || 'status' in t);
}

/** The tag's task list: `--tag`, else `master`, else the only tag. */
function pickTasks(raw: Record<string, unknown>, tag: string | undefined): { list: unknown; tag?: string } {
  if (Array.isArray(raw.tasks)) {
    if (tag && tag !== 'master')
      throw new ImportError(`this tasks.json has no tags (legacy format): drop --tag ${tag}`);
    return { list: raw };
  }
  const tags = Object.keys(raw).filter((k) => isObject(raw[k]) && Array.isArray((raw[k] as { tasks?: unknown }).tasks));
  const chosen = tag ?? (tags.includes('master') ? 'master' : tags.length === 1 ? tags[0] : undefined);
  if (chosen === undefined || !tags.includes(chosen)) {
    const what = chosen === undefined ? 'several tags and none is "master"' : `no tag "${chosen}"`;
    throw new ImportError(`this tasks.json has ${what}: pick one with --tag (${tags.join(', ')})`);
  }
  return { list: raw[chosen], tag: chosen };
}

export function importTaskMaster(raw: unknown, options: ImportOptions = {}): Imported {
  if (!isObject(raw)) throw new ImportError('a TaskMaster tasks.json is an object with "tasks" or tags');
  const { list, tag } = pickTasks(raw, options.tag);
  const parsed = TaskList.safeParse(list);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImportError(`not a TaskMaster task list: tasks.${issue.path.join('.')}: ${issue.message}`);
  }
  return new TaskMasterImport(options).run(parsed.data.tasks, tag);
}

class TaskMasterImport {
  private readonly warnings: string[] = [];
  private readonly tasks: ImportedTask[] = [];
  /** Plan id of every top-level task and subtask, by their written id. */
  private readonly topIds = new Map<string, string>();
  private readonly subIds = new Map<string, string>();
  private readonly skipped = new Set<string>();
  private readonly used = new Set<string>();
  /** Where each plan id came from, for writing status back (`--sync-status`). */
  private readonly origins = new Map<string, TaskOrigin>();

  constructor(private readonly options: ImportOptions) {}

  run(list: TmTask[], tag: string | undefined): Imported {
    this.index(list);
    for (const task of list) this.convert(task);
    const tasks = withoutDone(this.tasks, this.skipped, this.warnings);
    for (const t of tasks) t.origin = this.origins.get(t.id);
    return {
      format: 'taskmaster',
      tag,
      name: tag && tag !== 'master' ? `taskmaster-${tag}` : 'taskmaster',
      tasks,
      warnings: this.warnings,
      done: this.skipped.size,
    };
  }

  /** First pass: every id, so dependencies can point forward. Duplicates get a suffix. */
  private index(list: TmTask[]): void {
    for (const task of list) {
      const written = String(task.id);
      const id = this.unique(planId(written), `task ${written}`);
      this.topIds.set(written, id);
      this.origins.set(id, { task: written });
      if (this.isDone(task)) this.skipped.add(id);
      const seen = new Map<string, number>();
      for (const sub of task.subtasks ?? []) {
        const subWritten = subtaskId(written, sub.id);
        const count = (seen.get(subWritten) ?? 0) + 1;
        seen.set(subWritten, count);
        const wanted = count === 1 ? planId(subWritten) : `${planId(subWritten)}-${count}`;
        if (count === 2)
          this.warnings.push(
            `task ${written}: subtask id ${String(sub.id)} is used more than once; the repeats become ${planId(subWritten)}-2, -3, …`,
          );
        const id = this.unique(wanted, `subtask ${subWritten}`);
        if (count === 1) this.subIds.set(subWritten, id);
        (sub as { planId?: string }).planId = id;
        this.origins.set(id, { task: written, subtask: String(sub.id), ...(count > 1 ? { nth: count } : {}) });
        if (this.isDone(task) || this.isDone(sub)) this.skipped.add(id);
      }
    }
  }

  private unique(id: string, what: string): string {
    let unique = id;
    for (let n = 2; this.used.has(unique); n++) unique = `${id}-${n}`;
    if (unique !== id) this.warnings.push(`${what}: id ${id} is already used; imported as ${unique}`);
    this.used.add(unique);
    return unique;
  }

  private isDone(t: { status?: string | null }): boolean {
    return !this.options.includeDone && t.status === 'done';
  }

  private convert(task: TmTask): void {
    const written = String(task.id);
    const id = this.topIds.get(written) as string;
    const deps = this.deps(task.dependencies ?? [], `task ${written}`, this.skipped.has(id));
    const subs = (task.subtasks ?? []) as Array<TmTask & { planId: string }>;
    const text = {
      title: inertText(task.title ?? '') || `task ${written}`,
      ...prose(task),
      priority: PRIORITY[task.priority ?? ''],
    };
    // Done tasks are listed too, for the order they pass on; `withoutDone` leaves them out.
    const join = subs.length > 0;
    this.tasks.push({ id, ...text, dependsOn: [...deps, ...subs.map((s) => s.planId)], join: join || undefined });
    for (const sub of subs) {
      const quiet = this.skipped.has(sub.planId);
      const own = this.deps(sub.dependencies ?? [], `subtask ${sub.planId}`, quiet, written, id);
      this.tasks.push({
        id: sub.planId,
        title: inertText(sub.title ?? '') || `subtask ${sub.planId}`,
        ...prose(sub),
        priority: text.priority,
        // A subtask waits for what its parent waits for.
        dependsOn: [...deps, ...own],
      });
    }
  }

  /**
   * Resolves written dependencies. Inside a task's subtasks a bare number means a sibling
   * ("2" under task 7 is 7.2) unless no such sibling exists; then it is a top-level task.
   * `quiet`: a done task's, whose problems nobody needs to hear about.
   */
  private deps(
    list: Array<string | number>,
    who: string,
    quiet: boolean,
    parent?: string,
    parentId?: string,
  ): string[] {
    const warn = (line: string) => void (quiet || this.warnings.push(line));
    const out: string[] = [];
    for (const dep of list) {
      const written = String(dep).trim();
      const sibling =
        parent !== undefined && !written.includes('.') ? this.subIds.get(`${parent}.${written}`) : undefined;
      const id = sibling ?? this.subIds.get(written) ?? this.topIds.get(written);
      if (id === undefined) warn(`${who} depends on ${written}, which is not in this list: dropped`);
      else if (id === parentId)
        warn(`${who} depends on its own parent ${written}: dropped (the parent waits for its subtasks)`);
      else out.push(id);
    }
    return out;
  }
}

/** `7.1` for subtask 1 of task 7, whether written 1, "1", "7.1" or 7.1 (a float). */
function subtaskId(parent: string, id: string | number): string {
  const written = String(id).trim();
  return written.startsWith(`${parent}.`) ? written : `${parent}.${written}`;
}

function prose(t: { description?: string | null; details?: string | null; testStrategy?: string | null }) {
  const text = (s?: string | null) => (s?.trim() ? inertText(s.trim()) : undefined);
  return { description: text(t.description), details: text(t.details), testStrategy: text(t.testStrategy) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
