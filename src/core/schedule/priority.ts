import type { Graph } from './graph';
import { heapPop, heapPush } from './heap';
import { hash, mulberry32 } from './random';

/**
 * A better priority list for the critical-path policy, found once at run start from the estimates.
 *
 * The ready queue is a list scheduler: whenever a slot is free it starts the ready task that comes
 * first in a fixed priority list. Which list matters: longest-path-first (the bottom level) is within
 * a few percent of optimal on most graphs, but 10-20% off on some of Tobita & Kasahara's Standard
 * Task Graph Set. So the list is searched: longest path first with the classic tie-breaks (most
 * immediate successors first, as CP/MISF; longest task first), then a local search that swaps two
 * tasks' places and keeps the swap unless the simulated schedule ends later (equal is kept, to
 * cross plateaus), stopping early at the lower bound. It is seeded (by the run id) and bounded by a
 * count of steps, not by the clock, so the workflow finds the same list on replay. The queue still
 * reacts to real durations: only the order of ready tasks comes from the estimates.
 */

/** Steps (tasks + edges visited) the search may take: about 0.1 s at 1,000 tasks. */
const SEARCH_STEPS = 1_500_000;
const MAX_TRIES = 5_000;
/**
 * What one step of search work (a task or an edge visited) costs in the workflow's V8 sandbox,
 * measured on the 2-core CI machine: about 0.2 us. The search runs before any task starts, so it
 * delays the whole run by its own time; with `withinGain`, it never spends more than it can still
 * win (see `worthSearching`).
 */
export const SEARCH_STEP_MS = 0.0002;
/** Beyond this many tasks the search is skipped: too few tries would fit to matter. */
export const MAX_SEARCHED_TASKS = 5_000;

export interface PriorityList {
  /** Position of each task in the list: 0 starts first. */
  rank: number[];
  /** Simulated makespans: of this list, of plain longest-path-first, and the lower bound. */
  makespanMs: number;
  baseMs: number;
  boundMs: number;
  tries: number;
}

/** Each task's start under list scheduling in the order `rank` on `m` slots (see `listMakespan`). */
export function listSchedule(g: Graph, rank: ArrayLike<number>, m: number): number[] {
  const ends = new Float64Array(g.ids.length);
  listMakespan(g, rank, m, ends);
  return Array.from(ends, (end, i) => end - g.estimate[i]);
}

/**
 * The makespan of list scheduling in the order `rank` on `m` slots, every task taking its estimate;
 * each task's end is left in `ends`.
 */
export function listMakespan(
  g: Graph,
  rank: ArrayLike<number>,
  m: number,
  ends = new Float64Array(g.ids.length),
): number {
  const n = g.ids.length;
  const waiting = new Int32Array(n);
  const byRank = (i: number) => rank[i];
  const byEnd = (i: number) => ends[i];
  const ready: number[] = [];
  const running: number[] = [];
  for (let i = 0; i < n; i++) {
    waiting[i] = g.deps[i].length;
    if (waiting[i] === 0) heapPush(ready, i, byRank);
  }
  let now = 0;
  for (;;) {
    while (running.length < m && ready.length > 0) {
      const i = heapPop(ready, byRank) as number;
      ends[i] = now + g.estimate[i];
      heapPush(running, i, byEnd);
    }
    if (running.length === 0) return now;
    now = ends[running[0]];
    while (running.length > 0 && ends[running[0]] === now) {
      for (const c of g.dependents[heapPop(running, byEnd) as number])
        if (--waiting[c] === 0) heapPush(ready, c, byRank);
    }
  }
}

/**
 * True while a search that has spent `steps` may still pay for itself: the time spent so far is
 * less than the most it can still win, the gap between the best makespan found and the lower
 * bound. Counted in steps, not read from the clock, so replay decides the same.
 */
function worthSearching(steps: number, bestMs: number, boundMs: number): boolean {
  return steps * SEARCH_STEP_MS < bestMs - boundMs;
}

/**
 * Searches for a priority list for `m` slots; deterministic for a given graph, m and seed. With
 * `withinGain` it stops once it has cost more than it can still win (runs from before did not).
 */
export function searchPriority(g: Graph, m: number, seed: string, withinGain = false): PriorityList {
  const n = g.ids.length;
  const edges = g.deps.reduce((sum, d) => sum + d.length, 0);
  const tries = n > MAX_SEARCHED_TASKS ? 0 : Math.min(MAX_TRIES, Math.floor(SEARCH_STEPS / (n + edges + 1)));
  const boundMs = Math.max(g.criticalPathMs, Math.ceil(g.workMs / m));
  const baseMs = listMakespan(g, g.rank, m);
  let best = { rank: g.rank, ms: baseMs };
  // Longest path first, ties broken by successor count, or by length.
  for (const tie of [(i: number) => g.dependents[i].length, (i: number) => g.estimate[i]]) {
    if (best.ms <= boundMs || tries === 0) break;
    const most = Math.max(1, ...g.ids.map((_, i) => tie(i)));
    const rank = rankOf(g.ids.map((_, i) => -(g.bottom[i] + tie(i) / (most + 1))));
    const ms = listMakespan(g, rank, m);
    if (ms < best.ms) best = { rank, ms };
  }
  // Then swaps: two tasks trade places; kept unless the schedule gets longer.
  const rank = [...best.rank];
  let current = best.ms;
  const random = mulberry32(hash(seed));
  let t = 0;
  const worth = (tried: number) => !withinGain || worthSearching(tried * (n + edges + 1), best.ms, boundMs);
  for (; t < tries && best.ms > boundMs && n > 1 && worth(t); t++) {
    const a = Math.floor(random() * n);
    const b = (a + 1 + Math.floor(random() * (n - 1))) % n;
    [rank[a], rank[b]] = [rank[b], rank[a]];
    const ms = listMakespan(g, rank, m);
    if (ms > current) [rank[a], rank[b]] = [rank[b], rank[a]];
    else {
      current = ms;
      if (ms < best.ms) best = { rank: [...rank], ms };
    }
  }
  return { rank: best.rank, makespanMs: best.ms, baseMs, boundMs, tries: t };
}

/** Positions in the order `key` gives (ties by index), as the ready queue compares them. */
function rankOf(key: ArrayLike<number>): number[] {
  const order = Array.from({ length: key.length }, (_, i) => i).sort((a, b) => key[a] - key[b] || a - b);
  const rank = new Array<number>(key.length);
  order.forEach((i, r) => (rank[i] = r));
  return rank;
}
