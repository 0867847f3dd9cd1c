import { lowerBoundMs } from './graph';
import type { Plan, Policy } from './plan';
import { Scheduler } from './scheduler';

/** How one policy did on one plan in virtual time. */
export interface SimulationResult {
  policy: Policy;
  makespanMs: number;
  lowerBoundMs: number;
  ratio: number;
}

/** The seed of a plan's critical-path search: its name, so every run of it, and `ptq simulate`, get the same order. */
export function prioritySeed(plan: Plan): string {
  return plan.name;
}

/**
 * Runs the real scheduler in virtual time: every task takes exactly its estimate (or the given
 * duration) and workers are free the instant a task ends. This isolates schedule quality from
 * Temporal's overhead, so policies can be compared on the same DAG. The critical-path policy
 * searches its order as a run does, unless `search` is false (plain longest-path-first).
 */
export function simulate(
  plan: Plan,
  policy: Policy,
  maxConcurrency = plan.maxConcurrency,
  durations?: Record<string, number>,
  search = true,
): SimulationResult {
  const seed = search ? prioritySeed(plan) : undefined;
  const scheduler = Scheduler.create(plan, { policy, maxConcurrency, prioritySeed: seed });
  const { graph } = scheduler;
  const running: Array<{ id: string; end: number }> = [];
  let now = 0;
  while (!scheduler.isDone()) {
    for (let id = scheduler.next(); id !== undefined; id = scheduler.next()) {
      scheduler.start(id, now);
      running.push({ id, end: now + (durations?.[id] ?? graph.estimate[graph.index[id]]) });
    }
    if (running.length === 0) throw new Error('simulation stalled: no task can start (this is a ptq bug)');
    now = running.reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
    for (let k = running.length - 1; k >= 0; k--) {
      if (running[k].end !== now) continue;
      scheduler.succeed(running[k].id, { endedAt: now, attempts: 1 });
      running.splice(k, 1);
    }
  }
  const bound = lowerBoundMs(graph, maxConcurrency);
  return { policy, makespanMs: now, lowerBoundMs: bound, ratio: bound > 0 ? now / bound : 1 };
}
