import type { MapItems } from '../schedule/map';
import type { PlanMetadata, Usage } from '../plan/plan';
import type { MergeRecord, Scheduler } from '../schedule/scheduler';
import { agentName, stepsOf } from '../plan/steps';
import { sumUsage } from './usage';
import { limitSection, type LimitReport } from './limitUse';
import type { RunStatus, TaskStatus } from '../schedule/status';

/** One task's line in the run summary. */
export interface TaskSummary {
  id: string;
  title?: string;
  status: TaskStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  worker: string | null;
  error: string | null;
  reason: string | null;
  output: string | null;
  /** The task's JSON output, for tasks with `"output": "json"` (and small maps: their results). */
  json?: unknown;
  /** A map's results file: one JSON line per item that ran. */
  results?: string;
  /** A map: how many of its items succeeded, failed, were cancelled or never started. */
  items?: MapItems;
  /** A map that stopped early: why (`until condition met when 150 of 2000 items had ended...`). */
  stop?: string;
  /** Tokens and USD of its llm and agent steps. */
  usage?: Usage;
  /** How its work came back to the integration branch. */
  merge?: MergeRecord;
}

/** The result of a run: what `ptqRun` returns and `ptq start --wait --json` prints. */
export interface RunSummary {
  id: string;
  plan: string;
  status: RunStatus;
  policy: string;
  /** M at the end; under `maxConcurrency: auto`, where its controller left it. */
  maxConcurrency: number;
  /** The bounds of `maxConcurrency: auto`, when it moved M to the end. */
  maxConcurrencyAuto?: { min: number; max: number };
  counts: { total: number; succeeded: number; failed: number; skipped: number; cancelled: number };
  startedAt: string;
  endedAt: string;
  makespanMs: number;
  workMs: number;
  criticalPathMs: number;
  speedup: number;
  efficiency: number;
  reason: string | null;
  /** The run's parameters. */
  params: Record<string, unknown>;
  /** How the plan was made, when an AI planner made it: complexity and reasoning. */
  planner: PlanMetadata | null;
  /** Tokens and estimated USD of model calls: planning, llm steps, and in all. */
  cost: {
    planning: Usage | null;
    tasks: Usage | null;
    totalUsd: number | null;
    /** Per agent CLI ("claude", "codex", ...) and "llm" for llm steps. */
    byAgent?: Record<string, Usage>;
  };
  /** `ptq retry`: the run this one retried. */
  retryOf?: string;
  /** Plans with a workspace: the integration branch, and how merges went. */
  workspace?: { branch: string; merges: number; conflicts: number; conflictRate: number };
  /** Per named rate limit its steps used: steps started, how many waited, the longest wait, the rate, 429s. */
  limits?: LimitReport[];
  tasks: TaskSummary[];
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * Builds the summary from scheduler state. Work and critical path use measured durations, so
 * speedup (work / makespan) and efficiency (speedup / M) say how well the run used its workers.
 */
export function summarize(
  scheduler: Scheduler,
  id: string,
  startedAt: number,
  endedAt: number,
  branch?: string,
): RunSummary {
  const { plan, graph, state } = scheduler;
  const duration = state.tasks.map((t) =>
    t.startedAt !== undefined && t.endedAt !== undefined ? t.endedAt - t.startedAt : 0,
  );
  const workMs = duration.reduce((s, d) => s + d, 0);
  const longest = new Array<number>(duration.length).fill(0);
  for (const i of graph.order) {
    longest[i] = duration[i] + graph.deps[i].reduce((m, d) => Math.max(m, longest[d]), 0);
  }
  const makespanMs = Math.max(0, endedAt - startedAt);
  const speedup = makespanMs > 0 ? workMs / makespanMs : 0;
  const c = state.counts;
  const planning = plan.metadata?.usage ?? null;
  const taskUsage = state.tasks.reduce<Usage | undefined>((sum, t) => sumUsage(sum, t.usage), undefined) ?? null;
  const total = sumUsage(planning ?? undefined, taskUsage ?? undefined);
  return {
    id,
    plan: plan.name,
    status: scheduler.status(),
    policy: state.policy,
    maxConcurrency: state.maxConcurrency,
    ...(state.auto ? { maxConcurrencyAuto: { min: state.auto.controller.min, max: state.auto.controller.max } } : {}),
    counts: {
      total: plan.tasks.length,
      succeeded: c.succeeded,
      failed: c.failed,
      skipped: c.skipped,
      cancelled: c.cancelled,
    },
    startedAt: iso(startedAt) as string,
    endedAt: iso(endedAt) as string,
    makespanMs,
    workMs,
    criticalPathMs: longest.reduce((m, l) => Math.max(m, l), 0),
    speedup: round(speedup),
    efficiency: round(speedup / state.maxConcurrency),
    reason: state.halt?.reason ?? null,
    params: state.params ?? {},
    planner: plan.metadata ?? null,
    cost: { planning, tasks: taskUsage, totalUsd: total ? total.costUsd : 0, ...costByAgent(scheduler) },
    ...(branch !== undefined ? { workspace: mergeStats(scheduler, branch) } : {}),
    ...limitSection(state.tasks),
    tasks: state.tasks.map((_, i) => taskSummary(scheduler, i)),
  };
}

/** Usage summed per agent CLI; a task counts under its first agent, or "llm". */
function costByAgent({ plan, state }: Scheduler): { byAgent?: Record<string, Usage> } {
  const byAgent: Record<string, Usage> = {};
  state.tasks.forEach((t, i) => {
    if (!t.usage) return;
    const agent = stepsOf(plan.tasks[i]).find((s) => s.type === 'agent');
    const label = agent?.type === 'agent' ? agentName(agent) : 'llm';
    byAgent[label] = sumUsage(byAgent[label], t.usage) as Usage;
  });
  return Object.keys(byAgent).length ? { byAgent } : {};
}

/** Conflict rate: merges that hit a conflict, out of all merges tried. */
function mergeStats({ state }: Scheduler, branch: string): NonNullable<RunSummary['workspace']> {
  let merges = 0;
  let conflicts = 0;
  for (const t of state.tasks) {
    if (!t.merge) continue;
    conflicts += t.merge.conflicts;
    merges += t.merge.conflicts + (t.status === 'succeeded' ? 1 : 0);
  }
  return { branch, merges, conflicts, conflictRate: merges ? round(conflicts / merges) : 0 };
}

/** One task's line of the summary: also what `ptq status RUN/TASK` shows of a live run. */
export function taskSummary(scheduler: Scheduler, i: number): TaskSummary {
  const t = scheduler.state.tasks[i];
  return {
    id: scheduler.graph.ids[i],
    title: scheduler.plan.tasks[i].title,
    status: t.status,
    attempts: t.attempts,
    startedAt: iso(t.startedAt),
    endedAt: iso(t.endedAt),
    durationMs: t.startedAt !== undefined && t.endedAt !== undefined ? t.endedAt - t.startedAt : null,
    worker: t.worker ?? null,
    error: t.error ?? null,
    reason: t.reason ?? null,
    output: t.output ?? null,
    ...(t.json !== undefined ? { json: t.json } : {}),
    ...(t.results !== undefined ? { results: t.results } : {}),
    ...(t.items !== undefined ? { items: t.items } : {}),
    ...(t.stop !== undefined ? { stop: t.stop } : {}),
    ...(t.usage !== undefined ? { usage: t.usage } : {}),
    ...(t.merge !== undefined ? { merge: t.merge } : {}),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The summary of a run cancelled while its plan was still being made: no tasks, nothing ran. */
export function summarizeUnplanned(
  id: string,
  name: string,
  reason: string,
  maxConcurrency: number,
  startedAt: number,
  endedAt: number,
): RunSummary {
  return {
    id,
    plan: name,
    status: 'cancelled',
    policy: 'critical-path',
    maxConcurrency,
    counts: { total: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 },
    startedAt: iso(startedAt) as string,
    endedAt: iso(endedAt) as string,
    makespanMs: Math.max(0, endedAt - startedAt),
    workMs: 0,
    criticalPathMs: 0,
    speedup: 0,
    efficiency: 0,
    reason,
    params: {},
    planner: null,
    cost: { planning: null, tasks: null, totalUsd: 0 },
    tasks: [],
  };
}

/**
 * One line for an ended run that did not succeed: the message of its Failed or Cancelled execution,
 * the first thing the Web UI and `temporal workflow describe` show of it.
 */
export function outcomeLine(s: RunSummary): string {
  const { total, failed, skipped, cancelled } = s.counts;
  const firstFailure = s.tasks.find((t) => t.status === 'failed');
  const parts = [
    failed ? `${failed} of ${total} tasks failed` : '',
    cancelled ? `${cancelled} cancelled` : '',
    skipped ? `${skipped} skipped` : '',
  ].filter(Boolean);
  const why = s.reason ?? (firstFailure ? `${firstFailure.id}: ${firstFailure.error ?? 'failed'}` : null);
  const line = `${s.plan} ${s.status}${parts.length ? `: ${parts.join(', ')}` : ''}${why ? ` (${why})` : ''}`;
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}
