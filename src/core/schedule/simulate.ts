import { withEstimates, type Graph } from './graph';
import { energeticBound } from './plannedSchedule';
import type { Plan, Policy } from '../plan/plan';
import { prioritySeed, Scheduler } from './scheduler';

/** How one policy did on one plan in virtual time. */
export interface SimulationResult {
  policy: Policy;
  makespanMs: number;
  /** The best lower bound known for the tasks this simulation ran (see `playedBound`); never above `makespanMs`. */
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

/**
 * Runs the real scheduler in virtual time: every task takes exactly its estimate (or the given
 * duration) and workers are free the instant a task ends. This isolates schedule quality from
 * Temporal's overhead, so policies can be compared on the same DAG. The critical-path policy
 * searches as a run does, unless `search` says less. Every `when` is taken to hold (there are no
 * outputs to test it on); nothing fails, so `runIf: failure` tasks are skipped.
 */
export function simulate(
  plan: Plan,
  policy: Policy,
  maxConcurrency = plan.maxConcurrency,
  durations?: Record<string, number>,
  search: Search = 'planned',
): SimulationResult {
  const seed = search === 'none' ? undefined : prioritySeed(plan);
  // Every condition holds: the schedule of a run in which every task with `when` runs.
  const played = plan.tasks.some((t) => t.when !== undefined)
    ? { ...plan, tasks: plan.tasks.map((t) => ({ ...t, when: undefined })) }
    : plan;
  const scheduler = Scheduler.create(played, {
    policy,
    maxConcurrency,
    prioritySeed: seed,
    planIdle: search === 'planned',
    searchWithinGain: true,
    justify: true,
    finallyLast: true,
    boundConditions: true,
  });
  const { graph } = scheduler;
  const running: Array<{ id: string; end: number }> = [];
  /** How long each task ran: 0 for one that was skipped. */
  const took = graph.ids.map(() => 0);
  /** When the last task not of `finally` ended. */
  let mainEnd = 0;
  let now = 0;
  while (!scheduler.isDone()) {
    for (let id = scheduler.next(now); id !== undefined; id = scheduler.next(now)) {
      scheduler.start(id, now);
      const i = graph.index[id];
      took[i] = durations?.[id] ?? graph.estimate[i];
      running.push({ id, end: now + took[i] });
    }
    if (running.length === 0) throw new Error('simulation stalled: no task can start (this is a ptq bug)');
    const ends = running.reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
    // A planned schedule may hold tasks back until a late task is seen to overrun.
    now = Math.min(ends, scheduler.holdUntil(now) ?? ends);
    for (let k = running.length - 1; k >= 0; k--) {
      if (running[k].end !== now) continue;
      scheduler.succeed(running[k].id, { endedAt: now, attempts: 1 });
      if (!plan.tasks[graph.index[running[k].id]].final) mainEnd = now;
      running.splice(k, 1);
    }
  }
  const bound = playedBound(plan, graph, took, maxConcurrency, { mainEnd, end: now });
  const planned = Boolean(scheduler.state.hold);
  return { policy, makespanMs: now, lowerBoundMs: bound, ratio: bound > 0 ? now / bound : 1, planned };
}

/**
 * A lower bound on the schedule of the tasks a simulation ran, with the durations it gave them:
 * the tasks of `finally` start only once every other task has ended, so the bound is the sum of
 * the bounds of the two phases (each one with the other's tasks taking no time). It is at most
 * the simulated makespan: each phase's bound is at most that phase's best schedule.
 */
function playedBound(
  plan: Plan,
  graph: Graph,
  took: number[],
  m: number,
  at: { mainEnd: number; end: number },
): number {
  const finals = plan.tasks.map((t) => Boolean(t.final));
  if (!finals.includes(true)) return energeticBound(withEstimates(graph, took), m, at.end);
  const phase = (final: boolean) =>
    withEstimates(
      graph,
      took.map((d, i) => (finals[i] === final ? d : 0)),
    );
  return energeticBound(phase(false), m, at.mainEnd) + energeticBound(phase(true), m, at.end - at.mainEnd);
}
