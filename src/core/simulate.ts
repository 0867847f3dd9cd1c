import { energeticBound } from './plannedSchedule';
import type { Plan, Policy } from './plan';
import { Scheduler } from './scheduler';

/** How one policy did on one plan in virtual time. */
export interface SimulationResult {
  policy: Policy;
  makespanMs: number;
  /** The best lower bound known (see `energeticBound`). */
  lowerBoundMs: number;
  ratio: number;
  /** True when the queue kept to a planned schedule that idles a slot on purpose. */
  planned: boolean;
}

/**
 * How much a critical-path run searches before it starts: a planned schedule and the list order
 * (what a run does), only the list order, or neither (plain longest-path-first).
 */
export type Search = 'planned' | 'list' | 'none';

/** The seed of a plan's critical-path search: its name, so every run of it, and `ptq simulate`, get the same order. */
export function prioritySeed(plan: Plan): string {
  return plan.name;
}

/**
 * Runs the real scheduler in virtual time: every task takes exactly its estimate (or the given
 * duration) and workers are free the instant a task ends. This isolates schedule quality from
 * Temporal's overhead, so policies can be compared on the same DAG. The critical-path policy
 * searches as a run does, unless `search` says less.
 */
export function simulate(
  plan: Plan,
  policy: Policy,
  maxConcurrency = plan.maxConcurrency,
  durations?: Record<string, number>,
  search: Search = 'planned',
): SimulationResult {
  const seed = search === 'none' ? undefined : prioritySeed(plan);
  const scheduler = Scheduler.create(plan, {
    policy,
    maxConcurrency,
    prioritySeed: seed,
    planIdle: search === 'planned',
    searchWithinGain: true,
    justify: true,
    finallyLast: true,
  });
  const { graph } = scheduler;
  const running: Array<{ id: string; end: number }> = [];
  let now = 0;
  while (!scheduler.isDone()) {
    for (let id = scheduler.next(now); id !== undefined; id = scheduler.next(now)) {
      scheduler.start(id, now);
      running.push({ id, end: now + (durations?.[id] ?? graph.estimate[graph.index[id]]) });
    }
    if (running.length === 0) throw new Error('simulation stalled: no task can start (this is a ptq bug)');
    const ends = running.reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
    // A planned schedule may hold tasks back until a late task is seen to overrun.
    now = Math.min(ends, scheduler.holdUntil(now) ?? ends);
    for (let k = running.length - 1; k >= 0; k--) {
      if (running[k].end !== now) continue;
      scheduler.succeed(running[k].id, { endedAt: now, attempts: 1 });
      running.splice(k, 1);
    }
  }
  const bound = energeticBound(graph, maxConcurrency, now);
  const planned = Boolean(scheduler.state.hold);
  return { policy, makespanMs: now, lowerBoundMs: bound, ratio: bound > 0 ? now / bound : 1, planned };
}
