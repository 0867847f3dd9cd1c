import type { Graph } from './graph';
import { makespanOf } from './plannedSchedule';
import { mulberry32, hash } from './random';

// Workflow code runs in a V8 context where every read of a global is slow: see plannedSchedule.ts.
const { max } = Math;
const INFINITY = Number.POSITIVE_INFINITY;

/**
 * Schedules found by forward-backward improvement ("justification", Valls, Ballestin & Quintanilla,
 * EJOR 165(2), 2005), for plans small enough to plan at run start.
 *
 * The ready queue builds non-delay schedules: it never leaves a slot idle while a task is ready.
 * On some graphs every such schedule is longer than the optimum. A serial schedule generation
 * places tasks one by one in a given order, each at the earliest time its dependencies and a free
 * slot for its whole length allow, filling holes left earlier. Justification alternates two such
 * passes: backward, with tasks taken by latest end and placed as late as possible, then forward,
 * with tasks taken by their start in that backward schedule. Each pair of passes never lengthens
 * the schedule and often shortens it, by pulling work into idle holes.
 *
 * Starting points are perturbed orders, seeded by the run id: every other try the longest path
 * first with noise, otherwise the best schedule so far with noise. Bounded by a count of steps,
 * not the clock, so the workflow finds the same schedule on replay. The queue follows the result
 * as a planned schedule (see `Scheduler`).
 */

/** Steps the search may take: about 0.2 s at 100 tasks in the workflow sandbox. */
export const JUSTIFY_STEPS = 1_000_000;
/** Noise on the longest path, as a share of it: wide enough to reorder close tasks. */
const PATH_NOISE = 0.3;
/** Noise on the best schedule's starts, as a share of its makespan. */
const START_NOISE = 0.1;

export interface Justified {
  start: number[];
  makespanMs: number;
  /** Steps spent (tasks, edges and profile segments visited). */
  steps: number;
}

/**
 * The shortest justified schedule found in `steps` steps on `m` slots, starting from the
 * schedule `from` (e.g. the list scheduler's). Stops early at `boundMs`.
 */
export function searchJustified(
  g: Graph,
  m: number,
  from: number[],
  boundMs: number,
  seed: string,
  steps: number,
): Justified {
  const meter = { steps: 0 };
  const n = g.ids.length;
  // Ties in dependency order, so a zero-length task and the task it waits for stay in order.
  const position = new Array<number>(n);
  g.order.forEach((i, k) => (position[i] = k));
  let best = justify(g, m, from, position, meter);
  let bestMs = makespanOf(g, best);
  const random = mulberry32(hash(seed));
  const key = new Float64Array(n);
  for (let t = 0; meter.steps < steps && bestMs > boundMs; t++) {
    for (let i = 0; i < n; i++)
      key[i] =
        t % 2 === 0 ? -g.bottom[i] * (1 + PATH_NOISE * (random() - 0.5)) : best[i] + bestMs * START_NOISE * random();
    const found = justify(g, m, serial(g, m, topologicalBy(g, key), true, meter), position, meter);
    const ms = makespanOf(g, found);
    if (ms < bestMs) [best, bestMs] = [found, ms];
  }
  return { start: best, makespanMs: bestMs, steps: meter.steps };
}

/** Backward and forward passes until a pair no longer shortens the schedule. */
function justify(g: Graph, m: number, start: number[], position: number[], meter: { steps: number }): number[] {
  const p = g.estimate;
  let best = start;
  let bestMs = makespanOf(g, start);
  for (;;) {
    const latestEndFirst = g.order
      .slice()
      .sort((a, b) => best[b] + p[b] - (best[a] + p[a]) || position[b] - position[a]);
    const back = serial(g, m, latestEndFirst, false, meter);
    const next = serial(
      g,
      m,
      g.order.slice().sort((a, b) => back[a] - back[b] || position[a] - position[b]),
      true,
      meter,
    );
    const ms = makespanOf(g, next);
    if (ms >= bestMs) return best;
    [best, bestMs] = [next, ms];
  }
}

/**
 * Serial schedule generation: tasks in `order` (dependencies first in the pass's direction), each
 * at the earliest time with a free slot for its whole length. Backward passes run on the reversed
 * graph, so their times count from the end.
 */
function serial(g: Graph, m: number, order: number[], forward: boolean, meter: { steps: number }): number[] {
  const p = g.estimate;
  const before = forward ? g.deps : g.dependents;
  const start = new Array<number>(order.length).fill(0);
  // Slots in use on [times[k], times[k + 1]); the last segment runs to infinity.
  const times = [0, INFINITY];
  const used = [0, 0];
  const at = (x: number): number => {
    let k = 0;
    while (times[k + 1] <= x) k++;
    meter.steps += k;
    return k;
  };
  const split = (x: number): number => {
    const k = at(x);
    if (times[k] === x) return k;
    times.splice(k + 1, 0, x);
    used.splice(k + 1, 0, used[k]);
    return k + 1;
  };
  for (const i of order) {
    let t = 0;
    for (const d of before[i]) t = max(t, start[d] + p[d]);
    meter.steps += before[i].length + 1;
    if (p[i] > 0) {
      // Find a stretch [t, t + p) with a free slot throughout: past a full segment, start after it.
      for (let j = at(t); times[j] < t + p[i]; j++) {
        meter.steps++;
        if (used[j] >= m) t = times[j + 1];
      }
      const a = split(t);
      const b = split(t + p[i]);
      for (let k = a; k < b; k++) used[k]++;
    }
    start[i] = t;
  }
  if (forward) return start;
  const end = makespanOf(g, start);
  return start.map((s, i) => end - s - p[i]);
}

/** Tasks in dependency order, among the ready ones the lowest `key` first. */
function topologicalBy(g: Graph, key: ArrayLike<number>): number[] {
  const waiting = g.deps.map((d) => d.length);
  const order: number[] = [];
  const ready = indices(g.ids.length).filter((i) => waiting[i] === 0);
  while (ready.length > 0) {
    let pick = 0;
    for (let k = 1; k < ready.length; k++) if (key[ready[k]] < key[ready[pick]]) pick = k;
    const i = ready[pick];
    ready[pick] = ready[ready.length - 1];
    ready.pop();
    order.push(i);
    for (const c of g.dependents[i]) if (--waiting[c] === 0) ready.push(c);
  }
  return order;
}

const indices = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
