import type { Plan } from '../plan/plan';
import type { TaskStatus } from './status';

/**
 * Retrying a run that ended (Argo's `retry`, Step Functions' redrive): a new run of the same plan
 * in which the tasks that succeeded are kept, with their outputs, so only what failed, was
 * cancelled or was skipped runs again, plus everything after it. `--from TASK` also re-runs TASK
 * and everything after it (Airflow's `tasks clear`). Tasks of `finally` always run again.
 */

/** What a kept task hands to the templates and conditions of the tasks that run again. */
export interface KeptTask {
  output?: string;
  json?: unknown;
  results?: string;
}

/** The run a retry comes from, and the tasks it keeps. */
export interface RetryOf {
  run: string;
  kept: Record<string, KeptTask>;
}

/** The tasks of the ended run to keep; throws on a `from` id the plan does not have. */
export function keptTasks(
  plan: Pick<Plan, 'tasks'>,
  ended: Array<{ id: string; status: TaskStatus; output?: string | null; json?: unknown; results?: string }>,
  from: string[] = [],
): Record<string, KeptTask> {
  const byId = new Map(ended.map((t) => [t.id, t]));
  const unknown = from.find((id) => !plan.tasks.some((t) => t.id === id));
  if (unknown !== undefined) throw new Error(`--from ${unknown}: the plan has no task "${unknown}"`);
  const again = new Set(
    plan.tasks.filter((t) => t.final || byId.get(t.id)?.status !== 'succeeded' || from.includes(t.id)).map((t) => t.id),
  );
  // Tasks come in plan order, which need not be topological: repeat until nothing changes.
  for (let grew = true; grew;) {
    grew = false;
    for (const t of plan.tasks) {
      if (again.has(t.id) || !t.dependsOn.some((d) => again.has(d))) continue;
      again.add(t.id);
      grew = true;
    }
  }
  const kept: Record<string, KeptTask> = {};
  for (const t of plan.tasks) {
    if (again.has(t.id)) continue;
    const { output, json, results } = byId.get(t.id)!;
    kept[t.id] = {
      ...(output != null ? { output } : {}),
      ...(json !== undefined ? { json } : {}),
      ...(results ? { results } : {}),
    };
  }
  return kept;
}
