import { knownMapSize, mapParallelCap } from './map';
import type { Plan, Task } from '../plan/plan';

/** Estimate used for tasks that give none: one unit of work. */
export const DEFAULT_ESTIMATE_MS = 1_000;

/**
 * The plan as an indexed DAG. Everything here is derived from the plan alone, so it is recomputed
 * after continue-as-new instead of being carried in the snapshot.
 */
export interface Graph {
  ids: string[];
  index: Record<string, number>;
  deps: number[][];
  dependents: number[][];
  estimate: number[];
  /** Longest path (in edges) from any root: the task's level. */
  level: number[];
  /** Longest estimated path from this task to the end, including itself. */
  bottom: number[];
  /** Global order of the critical-path policy: position 0 is started first. */
  rank: number[];
  criticalPathMs: number;
  workMs: number;
  levels: number;
  /** Task indices in topological order: every task after all its dependencies. */
  order: number[];
}

/**
 * Builds the graph of a plan whose ids and dependencies are already known to be valid and acyclic.
 * Runs in O(tasks + edges) plus one sort.
 */
export function buildGraph(plan: Plan): Graph {
  const ids = plan.tasks.map((t) => t.id);
  const index: Record<string, number> = {};
  ids.forEach((id, i) => (index[id] = i));
  const n = ids.length;
  const deps = plan.tasks.map((t) => t.dependsOn.map((d) => index[d]));
  const dependents: number[][] = ids.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d].push(i)));
  const estimate = plan.tasks.map((t) => taskEstimate(t, plan.maxConcurrency));

  const order = topologicalOrder(deps, dependents);
  const level = new Array<number>(n).fill(0);
  for (const i of order) for (const d of deps[i]) level[i] = Math.max(level[i], level[d] + 1);
  const { bottom, criticalPathMs, workMs } = timing(order, dependents, estimate);

  const byPriority = ids.map((_, i) => i);
  byPriority.sort((a, b) => bottom[b] - bottom[a] || plan.tasks[b].priority - plan.tasks[a].priority || a - b);
  const rank = new Array<number>(n);
  byPriority.forEach((i, r) => (rank[i] = r));

  return {
    ids,
    index,
    deps,
    dependents,
    estimate,
    level,
    bottom,
    rank,
    criticalPathMs,
    workMs,
    levels: level.reduce((m, l) => Math.max(m, l + 1), 0),
    order,
  };
}

/**
 * The same graph with other durations, e.g. what a simulation played (0 for a task it skipped), so
 * a lower bound is of the schedule it is compared with. The priority order is left as it was.
 */
export function withEstimates(graph: Graph, estimate: number[]): Graph {
  return { ...graph, estimate, ...timing(graph.order, graph.dependents, estimate) };
}

function timing(
  order: number[],
  dependents: number[][],
  estimate: number[],
): Pick<Graph, 'bottom' | 'criticalPathMs' | 'workMs'> {
  const bottom = new Array<number>(estimate.length).fill(0);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k];
    let tail = 0;
    for (const c of dependents[i]) tail = Math.max(tail, bottom[c]);
    bottom[i] = estimate[i] + tail;
  }
  return {
    bottom,
    criticalPathMs: bottom.reduce((m, b) => Math.max(m, b), 0),
    workMs: estimate.reduce((s, e) => s + e, 0),
  };
}

/** Kahn's algorithm. Assumes the graph is acyclic (validation guarantees it). */
function topologicalOrder(deps: number[][], dependents: number[][]): number[] {
  const waiting = deps.map((d) => d.length);
  const order: number[] = [];
  for (let i = 0; i < deps.length; i++) if (waiting[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) {
    for (const c of dependents[order[k]]) if (--waiting[c] === 0) order.push(c);
  }
  return order;
}

/**
 * A task's estimated duration. A map whose size is known before it runs (a literal list, a range)
 * takes its estimate per item, in waves of min(maxParallel, M): the simulator and critical-path
 * priority see it as its items.
 */
export function taskEstimate(task: Task, maxConcurrency: number): number {
  const each = task.estimate ?? DEFAULT_ESTIMATE_MS;
  if (!task.map) return each;
  const size = knownMapSize(task.map.items);
  if (size === undefined) return each;
  return Math.ceil(size / Math.min(mapParallelCap(task.map), maxConcurrency)) * each;
}

/** The tasks on one longest estimated path, from start to end. */
export function criticalPath(graph: Graph): string[] {
  let current = -1;
  for (let i = 0; i < graph.ids.length; i++) {
    if (graph.deps[i].length === 0 && (current < 0 || graph.bottom[i] > graph.bottom[current])) current = i;
  }
  const path: string[] = [];
  while (current >= 0) {
    path.push(graph.ids[current]);
    let next = -1;
    for (const c of graph.dependents[current]) if (next < 0 || graph.bottom[c] > graph.bottom[next]) next = c;
    current = next;
  }
  return path;
}

/** No schedule on M workers can beat this: max(critical path, total work / M). */
export function lowerBoundMs(graph: Graph, maxConcurrency: number): number {
  return Math.max(graph.criticalPathMs, graph.workMs / maxConcurrency);
}
