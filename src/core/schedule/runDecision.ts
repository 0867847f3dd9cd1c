import { evaluateCondition, MAX_RUN_CONDITION_STEPS } from '../plan/expr';
import type { Graph } from './graph';
import type { Plan } from '../plan/plan';
import type { SchedulerState } from './state';

/** What happens to a task whose dependencies have all ended. */
export type RunDecision =
  { kind: 'wait' } | { kind: 'run' } | { kind: 'skip'; reason: string } | { kind: 'fail'; error: string };

/**
 * Whether task i runs, now that its dependencies have ended: a task of `finally` waits for every
 * other task; then `runIf` (default "success", "always" for `finally`) looks at how the
 * dependencies ended; then the `when` condition, in CEL, over them and the params. The scheduler
 * carries the decision out; the only change made here is the steps the condition took, counted
 * against the run's budget (`conditionSteps`).
 */
export function decideRun(plan: Plan, graph: Graph, state: SchedulerState, i: number): RunDecision {
  const task = plan.tasks[i];
  if (task.final && (state.mainLeft ?? 0) > 0) return { kind: 'wait' };
  const deps = graph.deps[i];
  const runIf = task.runIf ?? (task.final ? 'always' : 'success');
  const notOk = deps.find((d) => state.tasks[d].status !== 'succeeded');
  if (runIf === 'success' && notOk !== undefined) return { kind: 'skip', reason: skipReason(graph, state, notOk) };
  const anyFailed = deps.some((d) => ['failed', 'cancelled'].includes(state.tasks[d].status));
  if (runIf === 'failure' && !anyFailed)
    return { kind: 'skip', reason: 'skipped: runs only after a failure, and none failed' };
  if (task.when === undefined) return { kind: 'run' };
  const used = state.conditionSteps;
  const budget = used === undefined ? undefined : { left: MAX_RUN_CONDITION_STEPS - used };
  const result = evaluateCondition(task.when, conditionContext(plan, graph, state, i), budget);
  if (budget) state.conditionSteps = MAX_RUN_CONDITION_STEPS - budget.left;
  if (!result.ok) return { kind: 'fail', error: `${result.error} (in: when ${task.when})` };
  return result.value ? { kind: 'run' } : { kind: 'skip', reason: `condition false: ${task.when}` };
}

/** The root cause travels down a chain of skips: `skipped because "a" failed`. */
function skipReason(graph: Graph, state: SchedulerState, dep: number): string {
  const d = state.tasks[dep];
  if (d.status === 'skipped' && d.reason?.startsWith('skipped because')) return d.reason;
  const what = d.status === 'failed' ? 'failed' : d.status === 'cancelled' ? 'was cancelled' : 'was skipped';
  return `skipped because "${graph.ids[dep]}" ${what}`;
}

/** What `when` sees: its dependencies (every task, for `finally`) and the run parameters. */
function conditionContext(plan: Plan, graph: Graph, state: SchedulerState, i: number): Record<string, unknown> {
  const visible = plan.tasks[i].final ? state.tasks.map((_, j) => j) : graph.deps[i];
  const tasks: Record<string, unknown> = {};
  for (const d of visible) {
    const t = state.tasks[d];
    tasks[graph.ids[d]] = { status: t.status, output: t.output ?? '', json: t.json ?? null };
  }
  return { tasks, params: state.params ?? {} };
}
