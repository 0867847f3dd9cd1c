import type { Graph } from './graph';
import { SEARCH_STEP_MS } from './priority';

// Workflow code runs in a V8 context where every read of a global (Math, Infinity) is slow:
// the hot loops below read these locals instead (measured 20-60x faster under Jest's sandbox).
const { max, min, ceil, floor, round } = Math;
const INFINITY = Number.POSITIVE_INFINITY;

/**
 * Schedules that keep a slot idle on purpose, found by branch and bound (see `feasibleSchedule`).
 *
 * A list scheduler never leaves a slot free while a task is ready, and on some graphs every such
 * schedule is 5-20% longer than the optimum (Graham's anomalies; Tobita & Kasahara's Standard Task
 * Graph Set has many). Waiting for the right task can be shorter. This search finds such
 * schedules for small plans at run start: for a target makespan T, it builds the schedule in time
 * order, at each event choosing which ready tasks start now (possibly none, leaving a slot idle)
 * and pruning with each task's latest start (T minus its longest path to the end), the work left
 * against the slots left, and a table of states already shown to fail. Found a schedule of length
 * C, it tries T = C - 1 step, until the budget of nodes runs out or the lower bound is reached.
 * An exhausted search proves the best schedule found optimal.
 *
 * It is bounded by a count of nodes, not by the clock, so the workflow finds the same schedule on
 * replay. The queue then starts tasks in the found order (see `Scheduler`), which never ends later
 * than the plan when tasks take at most their estimates.
 */

/** Nodes the search may visit: about 0.1 s on a 100-task plan; fewer on bigger plans (see `nodesFor`). */
export const SEARCH_NODES = 20_000;
/** Larger plans are not searched: too few nodes would fit in the time to matter. */
export const MAX_PLANNED_TASKS = 200;

/** A node costs about O(tasks): the budget shrinks with the plan, to keep the search near 0.1 s. */
function nodesFor(g: Graph): number {
  return min(SEARCH_NODES, floor(1_000_000 / max(1, g.ids.length)));
}
/** Fewer nodes than this find nothing worth the energetic bound's own cost: no search then. */
const MIN_NODES = 100;

/**
 * Nodes worth visiting when a schedule at most `gapMs` shorter could be found: a node costs about
 * one search step per task (SEARCH_STEP_MS), and the search must not cost more than it can win.
 * 0 means it is not worth starting.
 */
export function nodesWithinGain(g: Graph, gapMs: number): number {
  const nodes = min(nodesFor(g), floor(gapMs / (max(1, g.ids.length) * SEARCH_STEP_MS)));
  return nodes < MIN_NODES ? 0 : nodes;
}

/** Energetic reasoning costs O(n^3) per target tried, so it is kept to smaller plans. */
const MAX_ENERGETIC_TASKS = 150;
/** Failed states remembered per target, to bound memory. */
const MEMO_LIMIT = 100_000;

export interface PlannedSchedule {
  /** Planned start of each task, in ms from the run's start; undefined when none beat `upperMs`. */
  start?: number[];
  makespanMs: number;
  /** The best lower bound known: equal to `makespanMs` when the schedule is proven optimal. */
  boundMs: number;
  /** Nodes the search visited. */
  nodes: number;
}

/**
 * The shortest schedule the search finds below `upperMs` on `m` slots in `nodes` nodes, if any.
 * `boundMs` is what it proved: no schedule is shorter.
 */
export function searchSchedule(g: Graph, m: number, upperMs: number, nodes = nodesFor(g)): PlannedSchedule {
  const step = timeStep(g);
  const budget = { nodes };
  let bound = energeticBound(g, m, upperMs);
  let best: number[] | undefined;
  let bestMs = upperMs;
  const attempt = (target: number): boolean => {
    const found = feasibleSchedule(g, m, target, budget);
    if (found === 'none') bound = target + step;
    if (typeof found === 'string') return false;
    best = found;
    bestMs = makespanOf(g, found);
    return true;
  };
  // The lower bound first: often it is the optimum, and then one search settles it. Then down
  // from the best known, one step at a time.
  if (bound < bestMs) attempt(bound);
  while (bound < bestMs && budget.nodes > 0 && attempt(bestMs - step));
  return { start: best, makespanMs: bestMs, boundMs: min(bound, bestMs), nodes: nodes - max(0, budget.nodes) };
}

/** When each task ends in `start`, the latest of them. */
export function makespanOf(g: Graph, start: ArrayLike<number>): number {
  let end = 0;
  for (let i = 0; i < start.length; i++) end = max(end, start[i] + g.estimate[i]);
  return end;
}

/** Every schedule's length is a sum of estimates, so targets move in steps of their gcd. */
export function timeStep(g: Graph): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return max(
    1,
    g.estimate.reduce((a, p) => gcd(a, round(p)), 0),
  );
}

/**
 * A lower bound on the makespan below `upperMs` (a makespan known to be reachable): the critical
 * path, the work over m, and for plans small enough to search, energetic reasoning: under a target
 * T, the parts of tasks that must run inside an interval [a, b) have to fit in m * (b - a). Each
 * target it proves impossible raises the bound, so a bisection over the targets is sound.
 */
export function energeticBound(g: Graph, m: number, upperMs: number): number {
  const step = timeStep(g);
  let low = ceil(max(g.criticalPathMs, g.workMs / m) / step) * step;
  if (g.ids.length > MAX_ENERGETIC_TASKS) return low;
  let high = max(low, upperMs);
  while (low < high) {
    const mid = low + floor((high - low) / (2 * step)) * step;
    if (overloaded(g, m, mid)) low = mid + step;
    else high = mid;
  }
  return low;
}

function overloaded(g: Graph, m: number, target: number): boolean {
  const p = g.estimate;
  const n = p.length;
  const early = earliestStarts(g);
  const late = g.bottom.map((b) => target - b);
  const from = [...new Set(early)].sort((x, y) => x - y);
  const to = [...new Set(late.map((s, i) => s + p[i]))].sort((x, y) => x - y);
  for (const a of from)
    for (const b of to) {
      if (b <= a) continue;
      let work = 0;
      for (let i = 0; i < n; i++) {
        // The least a task can overlap [a, b) is where it starts earliest or latest.
        const left = min(early[i] + p[i], b) - max(early[i], a);
        const right = min(late[i] + p[i], b) - max(late[i], a);
        work += max(0, min(left, right));
      }
      if (work > m * (b - a)) return true;
    }
  return false;
}

/** Each task's earliest start: its longest estimated path from the start, without itself. */
export function earliestStarts(g: Graph): number[] {
  const early = new Array<number>(g.ids.length).fill(0);
  for (const i of g.order) for (const d of g.deps[i]) early[i] = max(early[i], early[d] + g.estimate[d]);
  return early;
}

/**
 * Search for a schedule of makespan <= `target`: start times, 'none' when the search proved there
 * is none, or 'unknown' when the budget ran out first.
 *
 * Tasks start only at time 0 or when another ends (any schedule can be shifted left to one like
 * that). At each such time the ready tasks are tried in order of latest start; a set of them is
 * chosen in that order (each set once), and leaving the rest for later is a branch too, which is
 * how a slot stays idle. Zero-length tasks run the moment they are ready.
 *
 * The tree is walked by limited discrepancy search: first the path that always takes the first
 * choice, then the paths that depart from it once, twice, ..., so the budget is spread over
 * choices near the root, where a depth-first walk would spend it all near the leaves. A state
 * shown to fail with k departures left is not tried again with k or fewer.
 */
function feasibleSchedule(
  g: Graph,
  m: number,
  target: number,
  budget: { nodes: number },
): number[] | 'none' | 'unknown' {
  const n = g.ids.length;
  const { deps, dependents, estimate: p, order } = g;
  const latest = g.bottom.map((b) => target - b);
  const start = new Array<number>(n).fill(-1);
  const waiting = deps.map((d) => d.length);
  const early = new Float64Array(n);
  const failed = new Map<string, number>();
  const byLatest = (a: number, b: number) => latest[a] - latest[b] || p[b] - p[a] || a - b;
  let running: number[] = [];
  let cut = false;
  /** Times a branch was left out for want of departures; none in a pass means the pass was complete. */
  let limited = 0;

  /** Counts down dependents of `i` (ended at `t`); zero-length ones end at once, in turn. */
  const release = (i: number, t: number, ready: number[], touched: number[]) => {
    touched.push(i);
    for (const c of dependents[i]) {
      if (--waiting[c] > 0) continue;
      if (p[c] > 0) ready.push(c);
      else {
        start[c] = t;
        release(c, t, ready, touched);
      }
    }
  };
  const unrelease = (touched: number[]) => {
    for (let k = touched.length - 1; k >= 0; k--) {
      const i = touched[k];
      for (const c of dependents[i]) {
        if (waiting[c]++ === 0 && p[c] === 0) start[c] = -1;
      }
    }
  };

  /** Can everything left still end by `target`, starting no earlier than `t`? */
  const hopeful = (t: number): boolean => {
    let work = 0;
    for (const i of order) {
      if (start[i] >= 0) {
        work += max(0, start[i] + p[i] - t);
        continue;
      }
      let e = t;
      for (const d of deps[i]) e = max(e, start[d] >= 0 ? start[d] + p[d] : early[d] + p[d]);
      early[i] = e;
      if (e > latest[i]) return false;
      work += p[i];
    }
    return work <= m * (target - t);
  };

  const stateKey = (t: number): string => {
    let key = `${t}:`;
    for (let i = 0; i < n; i++) if (start[i] >= 0) key += start[i] + p[i] > t ? `${i}@${start[i]},` : `${i},`;
    return key;
  };

  /**
   * At time `t`, with `ready` sorted, tasks before index `from` already decided for this time, and
   * `left` departures from the first choice still allowed.
   */
  const dfs = (t: number, ready: number[], from: number, first: boolean, left: number): boolean => {
    if (--budget.nodes < 0) {
      cut = true;
      return false;
    }
    if (first && !hopeful(t)) return false;
    const choices = running.length < m && from < ready.length;
    if (choices) {
      for (let k = from; k < ready.length; k++) {
        const cost = k === from ? 0 : 1;
        if (cost > left) {
          limited++;
          return false;
        }
        const i = ready[k];
        start[i] = t;
        running.push(i);
        if (dfs(t, ready, k + 1, false, left - cost)) return true;
        running.pop();
        start[i] = -1;
        if (cut) return false;
        // Passing over `i` means it starts later, which it cannot if its latest start is now.
        if (latest[i] <= t) return false;
      }
    }
    if (choices && left === 0) {
      limited++;
      return false;
    }
    return advance(t, ready, choices ? left - 1 : left);
  };

  /** No more starts at `t`: on to the next time a running task ends. */
  const advance = (t: number, ready: number[], left: number): boolean => {
    const waitingReady = ready.filter((i) => start[i] < 0);
    if (running.length === 0) return waitingReady.length === 0;
    let next = INFINITY;
    for (const i of running) next = min(next, start[i] + p[i]);
    for (const i of waitingReady) if (latest[i] < next) return false;
    // Idling a slot while a waiting task would have ended in the gap is never better.
    if (running.length < m && waitingReady.some((i) => p[i] <= next - t)) return false;
    const key = stateKey(next);
    if ((failed.get(key) ?? -1) >= left) return false;
    const ended = running.filter((i) => start[i] + p[i] === next);
    const before = running;
    running = running.filter((i) => start[i] + p[i] !== next);
    const touched: number[] = [];
    for (const i of ended) release(i, next, waitingReady, touched);
    waitingReady.sort(byLatest);
    const limitedBefore = limited;
    if (dfs(next, waitingReady, 0, true, left)) return true;
    unrelease(touched);
    running = before;
    if (!cut && failed.size < MEMO_LIMIT) failed.set(key, limited === limitedBefore ? INFINITY : left);
    return false;
  };

  const ready: number[] = [];
  const touched: number[] = [];
  for (const i of order.filter((i) => waiting[i] === 0)) {
    if (p[i] > 0) ready.push(i);
    else {
      start[i] = 0;
      release(i, 0, ready, touched);
    }
  }
  ready.sort(byLatest);
  for (let left = 0; ; left++) {
    limited = 0;
    if (dfs(0, ready, 0, true, left)) return start;
    if (cut) return 'unknown';
    if (limited === 0) return 'none';
  }
}
