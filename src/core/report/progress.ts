import { formatDuration } from '../plan/duration';
import { mapNote, type MapItems, type MapProgress } from '../schedule/map';
import type { Usage } from '../plan/plan';
import { sumUsage } from './usage';
import { limitSection, type LimitReport } from './limitUse';
import type { Scheduler } from '../schedule/scheduler';
import { isTerminal, TASK_STATUSES, type RunStatus, type TaskStatus } from '../schedule/status';

/** A live view of a run: what the `progress` query returns and `ptq status` shows. */
export interface Progress {
  plan: string;
  status: RunStatus;
  paused: boolean;
  policy: string;
  /** M now; under `maxConcurrency: auto`, where its controller has it. */
  maxConcurrency: number;
  /** The bounds of `maxConcurrency: auto` while it moves M; absent for a fixed M. */
  maxConcurrencyAuto?: { min: number; max: number };
  total: number;
  counts: Record<TaskStatus, number>;
  /** `map`: the task is a map; `items` is its own progress, added by the client (see control.ts). */
  running: Array<{
    id: string;
    title?: string;
    startedAt: string;
    map?: true;
    items?: MapProgress;
    /** Added by `ptq watch` when its step was retried: "2/3". */
    attempt?: string;
    /** Added by `ptq status`/`watch` while steps of it wait on a rate limit: "37 waiting for api". */
    waiting?: string;
  }>;
  recentFailures: Array<{ id: string; error: string; at: string }>;
  reason: string | null;
  /** Groups with before/after steps, and the phase each is in. */
  groups?: GroupProgress[];
  /** Tokens and USD of the llm and agent steps that ended so far; absent when none ran. */
  usage?: Usage;
  /** Maps that ended: how their items went, and why they stopped early; absent when none has. */
  maps?: Array<{ id: string; status: TaskStatus; items: MapItems; stop?: string }>;
  /** Named rate limits the ended tasks' steps used (see RunSummary.limits); absent when none. */
  limits?: LimitReport[];
  /** Added by `ptq status`/`watch` (and the run's own look): `fetch: 37 waiting for api`. */
  waiting?: string[];
}

/** Where a group with phases is: waiting, its `before`, its tasks, its `after`, or done. */
export interface GroupProgress {
  name: string;
  phase: 'waiting' | 'before' | 'tasks' | 'after' | 'done';
  /** Tasks of the group (not counting its phases) that ended, failed, and in all. */
  done: number;
  failed: number;
  total: number;
}

/** Reads progress from scheduler state: O(running + recent failures), plus O(tasks) for cost. */
export function progressOf(scheduler: Scheduler): Progress {
  const { plan, graph, state } = scheduler;
  const usage = state.tasks.reduce<Usage | undefined>((sum, t) => sumUsage(sum, t.usage), undefined);
  const maps = endedMaps(scheduler);
  return {
    plan: plan.name,
    status: scheduler.status(),
    paused: state.paused,
    policy: state.policy,
    maxConcurrency: state.maxConcurrency,
    ...(state.auto ? { maxConcurrencyAuto: { min: state.auto.controller.min, max: state.auto.controller.max } } : {}),
    total: plan.tasks.length,
    counts: { ...state.counts },
    running: Object.entries(state.running).map(([id, at]) => {
      const task = plan.tasks[graph.index[id]];
      return { id, title: task.title, startedAt: new Date(at).toISOString(), ...(task.map ? { map: true } : {}) };
    }),
    recentFailures: state.recentFailures.map((f) => ({ ...f, at: new Date(f.at).toISOString() })),
    reason: state.halt?.reason ?? null,
    ...(usage ? { usage } : {}),
    ...(maps.length ? { maps } : {}),
    ...limitSection(state.tasks),
    ...(phasedGroups(scheduler).length
      ? { groups: phasedGroups(scheduler).map((g) => groupProgress(scheduler, g)) }
      : {}),
  };
}

const mapsCache = new WeakMap<Scheduler['plan'], number[]>();

/** The maps that ended with their counts: O(maps of the plan), found once per plan. */
function endedMaps({ plan, graph, state }: Scheduler): NonNullable<Progress['maps']> {
  let maps = mapsCache.get(plan);
  if (!maps) mapsCache.set(plan, (maps = plan.tasks.flatMap((t, i) => (t.map ? [i] : []))));
  return maps.flatMap((i) => {
    const { status, items, stop } = state.tasks[i];
    return items ? [{ id: graph.ids[i], status, items, ...(stop ? { stop } : {}) }] : [];
  });
}

interface PhasedGroup {
  name: string;
  members: number[];
  before?: number;
  after?: number;
}

const phasedCache = new WeakMap<Scheduler['plan'], PhasedGroup[]>();

/** The groups that have phases, found once per plan. */
function phasedGroups({ plan }: Scheduler): PhasedGroup[] {
  let groups = phasedCache.get(plan);
  if (!groups) {
    const byName = new Map<string, PhasedGroup>();
    const of = (name: string) => byName.get(name) ?? byName.set(name, { name, members: [] }).get(name)!;
    plan.tasks.forEach((t, i) => {
      if (t.phase) of(t.phase.group)[t.phase.kind] = i;
    });
    plan.tasks.forEach((t, i) => {
      if (t.group && byName.has(t.group) && !t.final) of(t.group).members.push(i);
    });
    groups = [...byName.values()];
    phasedCache.set(plan, groups);
  }
  return groups;
}

function groupProgress({ state }: Scheduler, g: PhasedGroup): GroupProgress {
  const status = (i: number) => state.tasks[i].status;
  const done = g.members.filter((i) => isTerminal(status(i))).length;
  const failed = g.members.filter((i) => status(i) === 'failed').length;
  const over = g.after === undefined ? done === g.members.length : isTerminal(status(g.after));
  const phase: GroupProgress['phase'] = over
    ? 'done'
    : g.after !== undefined && status(g.after) === 'running'
      ? 'after'
      : done > 0 || g.members.some((i) => status(i) === 'running')
        ? 'tasks'
        : g.before !== undefined && status(g.before) === 'running'
          ? 'before'
          : 'waiting';
  return { name: g.name, phase, done, failed, total: g.members.length };
}

/** One line per group with phases: "api  tasks 2/5 (1 failed)". */
export function groupLine(g: GroupProgress): string {
  return `${g.name}  ${g.phase} ${g.done}/${g.total}${g.failed ? ` (${g.failed} failed)` : ''}`;
}

/** Tasks that will not change any more. */
export function doneCount(p: Pick<Progress, 'counts'>): number {
  return p.counts.succeeded + p.counts.failed + p.counts.skipped + p.counts.cancelled;
}

/** A text progress bar: [#########-----------] 45%. */
export function progressBar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? done / total : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(ratio * 100)}%`;
}

const MAX_RUNNING_ROWS = 15;

/** A map's bar for the Web UI (its workflow's current details). */
export function mapMarkdown(p: MapProgress, waiting: string[] = []): string {
  const lines = [
    `**map** ${progressBar(p.done, p.total)} ${p.done} of ${p.total} items`,
    '',
    `succeeded: ${p.succeeded} · failed: ${p.failed} · running: ${p.running} · maxParallel${p.auto ? ' auto:' : ':'} ${p.maxParallel}${p.paused ? ' · paused' : ''}`,
  ];
  if (p.stop) lines.push('', `Stopped: ${p.stop.reason}`);
  if (waiting.length) lines.push('', ...waiting.map((w) => `- ${w}`));
  return lines.join('\n');
}

/** The Markdown progress view shown in the Temporal Web UI (setCurrentDetails). */
export function progressMarkdown(p: Progress, now: number): string {
  const done = doneCount(p);
  const lines = [
    `**${p.status}${p.paused ? ' (paused)' : ''}** ${progressBar(done, p.total)} ${done} of ${p.total} done`,
    '',
    TASK_STATUSES.filter((s) => p.counts[s] > 0)
      .map((s) => `${s}: ${p.counts[s]}`)
      .join(' · ') + ` · ${concurrencyText(p)} · ${p.policy}`,
  ];
  if (p.usage) lines.push('', `Cost so far: ${usageLine(p.usage)}`);
  if (p.reason) lines.push('', `Stopped: ${p.reason}`);
  if (p.waiting?.length) lines.push('', ...p.waiting.map((w) => `- ${w}`));
  lines.push(...limitTable(p.limits));
  if (p.groups?.length) {
    lines.push('', '| group | phase | tasks done |', '|---|---|---|');
    for (const g of p.groups)
      lines.push(`| ${g.name} | ${g.phase} | ${g.done}/${g.total}${g.failed ? ` (${g.failed} failed)` : ''} |`);
  }
  if (p.running.length) {
    lines.push('', '| running | for |', '|---|---|');
    for (const r of p.running.slice(0, MAX_RUNNING_ROWS)) {
      lines.push(`| ${r.title ?? r.id} | ${formatDuration(now - Date.parse(r.startedAt))} |`);
    }
    if (p.running.length > MAX_RUNNING_ROWS) lines.push(`| … and ${p.running.length - MAX_RUNNING_ROWS} more | |`);
  }
  if (p.maps?.length) {
    lines.push('', '| map | status | items |', '|---|---|---|');
    for (const m of p.maps.slice(0, MAX_RUNNING_ROWS))
      lines.push(`| ${m.id} | ${m.status} | ${mapNote(m.items, m.stop)} |`);
    if (p.maps.length > MAX_RUNNING_ROWS) lines.push(`| … and ${p.maps.length - MAX_RUNNING_ROWS} more | | |`);
  }
  if (p.recentFailures.length) {
    lines.push('', '**Recent failures**', '');
    for (const f of p.recentFailures.slice(-5)) lines.push(`- \`${f.id}\`: ${f.error.split('\n')[0].slice(0, 200)}`);
  }
  return lines.join('\n');
}

/** The limit section as a Markdown table, for the run's details in the Web UI. */
export function limitTable(limits: LimitReport[] | undefined): string[] {
  if (!limits?.length) return [];
  const rows = limits.map((r) => {
    const longest = r.waited ? formatDuration(r.longestWaitMs) : '-';
    return `| ${r.name} | ${r.started} | ${r.waited} | ${longest} | ${r.ratePerSec ?? '-'}/s | ${r.throttled} |`;
  });
  return ['', '| rate limit | steps | waited | longest wait | rate | 429s |', '|---|---|---|---|---|---|', ...rows];
}

/** M as the views show it: "M=8", or "M auto: 23" while `maxConcurrency: auto` moves it. */
export function concurrencyText(p: Pick<Progress, 'maxConcurrency' | 'maxConcurrencyAuto'>): string {
  return p.maxConcurrencyAuto ? `M auto: ${p.maxConcurrency}` : `M=${p.maxConcurrency}`;
}

/** "$0.42 · 12,000 in / 3,400 out tokens", or "unknown price" when a model is not in the table. */
export function usageLine(u: Usage): string {
  const usd = u.costUsd === null ? 'unknown price' : `$${u.costUsd.toFixed(2)}`;
  return `${usd} · ${u.inputTokens.toLocaleString('en-US')} in / ${u.outputTokens.toLocaleString('en-US')} out tokens`;
}
