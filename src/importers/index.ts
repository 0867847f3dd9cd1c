import type { PlanInput } from '../core/plan/plan';
import { importMarkdown, markdownDialect } from './markdown';
import { importTaskMaster, isTaskMaster } from './taskmaster';
import { stepsFor, type StepChoice } from './steps';
import { ImportError, type Imported, type ImportOptions } from './types';

export { ImportError, type Imported, type ImportedTask, type ImportFormat, type ImportOptions } from './types';
export { stepsFor, type StepChoice } from './steps';

/**
 * Task lists from other tools, turned into ptq plans: TaskMaster tasks.json, spec-kit tasks.md
 * and markdown lists with [P:Group-X] markers. Pure: the caller reads the file.
 */

/** Which importer a file needs, from its name and content; undefined for a ptq plan. */
export function detectFormat(source: string, text: string, parsed?: unknown): Imported['format'] | undefined {
  if (/\.(md|markdown)$/i.test(source)) return markdownDialect(text) ?? 'markdown';
  return parsed !== undefined && isTaskMaster(parsed) ? 'taskmaster' : undefined;
}

/** Reads a task list in the given format. */
export function importTasks(
  format: Imported['format'],
  text: string,
  parsed: unknown,
  options: ImportOptions & { name?: string } = {},
): Imported {
  return format === 'taskmaster' ? importTaskMaster(parsed, options) : importMarkdown(text, options, options.name);
}

/**
 * The plan: the imported tasks, each running the chosen step (an agent by default), on top of a
 * base plan's settings (workspace, M, defaults) when one is given.
 */
export function toPlan(imported: Imported, choice: StepChoice, base: Record<string, unknown> = {}): PlanInput {
  if (imported.tasks.length === 0)
    throw new ImportError(`nothing to run: all ${imported.done} tasks are done (use --include-done to run them again)`);
  const tasks = imported.tasks.map((t) => ({
    id: t.id,
    title: t.title,
    dependsOn: t.dependsOn,
    ...(t.priority ? { priority: t.priority } : {}),
    ...(t.files ? { files: t.files } : {}),
    ...(t.join
      ? {
          execution: 'inline' as const,
          run: { type: 'sleep' as const, duration: 0, description: 'completes when its subtasks do' },
        }
      : { run: stepsFor(t, choice) }),
  }));
  return { name: imported.name, ...base, tasks } as PlanInput;
}
