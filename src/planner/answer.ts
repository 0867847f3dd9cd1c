import { stripFences, validatePlan, type Plan, type PlanMetadata, type Result } from '../core';
import { PlannerAnswer, type PlanRequest } from './request';

/**
 * Turns the model's raw text into a validated plan, or into the list of problems to send back.
 * The same zod schema and graph checks as plan files apply: nothing the model says is trusted.
 */
export function planFromAnswer(text: string, request: PlanRequest, metadata: PlanMetadata): Result<Plan, string[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(stripFences(text));
  } catch (err) {
    return { ok: false, error: [`the answer is not JSON (${(err as Error).message.split('\n')[0]})`] };
  }
  const answer = PlannerAnswer.safeParse(raw);
  if (!answer.success) {
    return { ok: false, error: answer.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`) };
  }
  const { complexity, reasoning, tasks } = answer.data;
  const cwd = request.hints.cwd;
  return validatePlan({
    name: request.name ?? 'planned',
    maxConcurrency: request.budget,
    groups: openGroups(tasks, request.budget),
    tasks: cwd ? tasks.map((t) => ({ ...t, run: withCwd(t.run, cwd) })) : tasks,
    metadata: { ...metadata, complexity, reasoning },
  });
}

function withCwd<T>(run: T, cwd: string): T {
  const steps = Array.isArray(run) ? run : [run];
  const mapped = steps.map((s) =>
    s && typeof s === 'object' && (s as { type?: string }).type === 'shell' && !('cwd' in s) ? { ...s, cwd } : s,
  );
  return (Array.isArray(run) ? mapped : mapped[0]) as T;
}

/**
 * Planners use groups to mark work that runs together, not to limit it: each group they name is
 * declared with the whole budget as its limit (plans must declare every group they use).
 */
export function openGroups(
  tasks: Array<{ group?: string }>,
  budget: number,
): Record<string, { maxConcurrency: number }> {
  return Object.fromEntries(tasks.filter((t) => t.group).map((t) => [t.group, { maxConcurrency: budget }]));
}
