import type { Plan } from '../plan/plan';
import { buildGraph, criticalPath, lowerBoundMs, withEstimates } from '../schedule/graph';
import { knownMapSize } from '../schedule/map';
import { executionOf } from '../plan/steps';

/** A task as a node of the run's graph. */
export interface GraphTask {
  id: string;
  title?: string;
  dependsOn: string[];
  group?: string;
  /** A group's `before` or `after` task. */
  phase?: 'before' | 'after';
  /** A task of `finally`. */
  final?: true;
  /** Runs as a child workflow of its own (with a Web UI page), not inline in the run. */
  child: boolean;
  /** A map: its size when known before it runs, and its maxParallel. */
  map?: { size: number | null; maxParallel: number | 'auto' };
  estimateMs: number;
  /** Longest path in edges from a root: the column it is drawn in. */
  level: number;
}

/** The plan of a run as a graph, with the critical path and the lower bound of its durations. */
export interface RunGraph {
  plan: string;
  maxConcurrency: number;
  tasks: GraphTask[];
  criticalPath: string[];
  criticalPathMs: number;
  workMs: number;
  /** max(critical path, work / M): no schedule beats it. */
  lowerBoundMs: number;
}

/**
 * The plan as the dashboard draws it. Tasks that ran count with their measured durations, the
 * others with their estimates, so the critical path and lower bound of an ended run are those of
 * what happened (as in its summary) and a running run's move as tasks end.
 */
export function runGraph(
  plan: Plan,
  measuredMs: Record<string, number | null> = {},
  m = plan.maxConcurrency,
): RunGraph {
  const planned = buildGraph(plan);
  const g = withEstimates(
    planned,
    planned.ids.map((id, i) => measuredMs[id] ?? planned.estimate[i]),
  );
  return {
    plan: plan.name,
    maxConcurrency: m,
    tasks: plan.tasks.map((t, i) => ({
      id: t.id,
      ...(t.title ? { title: t.title } : {}),
      dependsOn: t.dependsOn,
      ...(t.group ? { group: t.group } : {}),
      ...(t.phase ? { phase: t.phase.kind, group: t.phase.group } : {}),
      ...(t.final ? { final: true as const } : {}),
      child: Boolean(t.map) || executionOf(t, t.execution ?? plan.defaults.execution ?? 'auto') === 'child',
      ...(t.map ? { map: { size: knownMapSize(t.map.items) ?? null, maxParallel: t.map.maxParallel } } : {}),
      estimateMs: g.estimate[i],
      level: g.level[i],
    })),
    criticalPath: criticalPath(g),
    criticalPathMs: g.criticalPathMs,
    workMs: g.workMs,
    lowerBoundMs: lowerBoundMs(g, m),
  };
}
