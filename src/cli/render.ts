import {
  concurrencyText,
  doneCount,
  formatDuration,
  groupLine,
  limitLine,
  mapNote,
  plural,
  progressBar,
  type Progress,
  type RunSummary,
  type TaskSummary,
} from '../core';

/** The summary as a table for people. */
export function summaryTable(s: RunSummary): string {
  const width = Math.max(4, ...s.tasks.map((t) => t.id.length));
  const lines = [
    `${s.plan} (${s.id}): ${s.status.toUpperCase()} in ${formatDuration(s.makespanMs)}`,
    `  ${s.counts.succeeded} succeeded, ${s.counts.failed} failed, ${s.counts.skipped} skipped, ${s.counts.cancelled} cancelled of ${s.counts.total}`,
    `  work ${formatDuration(s.workMs)}, speedup ${s.speedup.toFixed(2)}x on ${s.maxConcurrencyAuto ? `M auto (last ${s.maxConcurrency})` : `M=${s.maxConcurrency}`} (efficiency ${Math.round(s.efficiency * 100)}%)`,
  ];
  if (s.reason) lines.push(`  stopped: ${s.reason}`);
  if (s.retryOf) lines.push(`  retry of ${s.retryOf}: what succeeded there was kept`);
  if (s.planner) {
    lines.push(
      `  planned by ${s.planner.planner}${s.planner.model ? ` (${s.planner.model})` : ''}: ${s.planner.complexity ?? '?'}; ${s.planner.reasoning ?? ''}`,
    );
  }
  const usage = [s.cost.planning, s.cost.tasks].filter((u) => u !== null);
  if (usage.length) {
    const tokens = usage.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0);
    const agents = Object.entries(s.cost.byAgent ?? {}).map(([name, u]) => `${name} ${usd(u.costUsd)}`);
    lines.push(
      `  model cost: ${tokens} tokens, ${s.cost.totalUsd === null ? 'price unknown' : `~$${s.cost.totalUsd.toFixed(4)}`}${agents.length ? ` (${agents.join(', ')})` : ''}`,
    );
  }
  if (s.workspace) lines.push(`  ${mergeLine(s, s.workspace)}`);
  for (const r of s.limits ?? []) lines.push(`  rate limit ${limitLine(r)}`);
  const spread = workerSpread(s);
  if (spread) lines.push(`  workers: ${spread}`);
  const costs = s.tasks.some((t) => t.usage);
  lines.push(
    '',
    `  ${'task'.padEnd(width)}  ${'status'.padEnd(9)}  ${'time'.padStart(7)}  tries${costs ? '     cost' : ''}  note`,
  );
  for (const t of s.tasks) {
    const time = t.durationMs === null ? '-' : formatDuration(t.durationMs);
    const note = noteOf(t);
    const cost = costs ? `  ${(t.usage ? usd(t.usage.costUsd) : '-').padStart(7)}` : '';
    lines.push(
      `  ${t.id.padEnd(width)}  ${t.status.padEnd(9)}  ${time.padStart(7)}  ${String(t.attempts).padStart(5)}${cost}  ${note}`,
    );
  }
  return lines.join('\n');
}

/**
 * A task's note: a map's items and why it stopped early (whole: each number says what it counts),
 * else the first line of its error or of why it was skipped or cancelled.
 */
function noteOf(t: TaskSummary): string {
  if (t.items) return mapNote(t.items, t.stop);
  return (t.error ?? t.reason ?? '').split('\n')[0].slice(0, 100);
}

/**
 * "merged into ptq/x: 12 tasks, 1 conflict in 13 merges tried (conflict rate 8%)". The summary's
 * `merges` counts tries, conflicts included; the tasks merged are what `git log --merges` shows.
 */
function mergeLine(s: RunSummary, w: NonNullable<RunSummary['workspace']>): string {
  const merged = s.tasks.filter((t) => t.status === 'succeeded' && t.merge && t.merge.commits > 0).length;
  return (
    `merged into ${w.branch}: ${plural(merged, 'task')}, ${plural(w.conflicts, 'conflict')} in ` +
    `${plural(w.merges, 'merge')} tried (conflict rate ${Math.round(w.conflictRate * 100)}%)`
  );
}

/**
 * "w1 12 tasks 30.1s busy, w2 8 tasks 20.2s busy": how the work spread over workers. A task that
 * ran with no worker recorded (only sleep steps, which are timers of the workflow, or a user
 * activity, whose worker the workflow does not learn) is counted too, so every task that ran is.
 */
function workerSpread(s: RunSummary): string | undefined {
  const by = new Map<string, { tasks: number; busyMs: number }>();
  let unattributed = 0;
  for (const t of s.tasks) {
    if (!t.worker) {
      if (t.startedAt !== null) unattributed++;
      continue;
    }
    const w = by.get(t.worker) ?? by.set(t.worker, { tasks: 0, busyMs: 0 }).get(t.worker)!;
    w.tasks++;
    w.busyMs += t.durationMs ?? 0;
  }
  if (!by.size) return undefined;
  const busiest = [...by].sort((a, b) => b[1].busyMs - a[1].busyMs);
  const spread = busiest.map(([w, n]) => `${w} ${plural(n.tasks, 'task')} ${formatDuration(n.busyMs)} busy`);
  if (unattributed) spread.push(`${plural(unattributed, 'task')} with no worker recorded (sleeps, user activities)`);
  return spread.join(', ');
}

function usd(cost: number | null): string {
  return cost === null ? '$?' : `$${cost.toFixed(cost < 1 ? 4 : 2)}`;
}

/** Estimated time left from the pace so far; undefined until there is a pace, and while paused (there is none). */
function eta(p: Progress, elapsedMs: number): number | undefined {
  const done = doneCount(p);
  if (p.paused || done === 0 || done >= p.total) return undefined;
  return (elapsedMs / done) * (p.total - done);
}

/** The live view: a bar, counts, running tasks with elapsed time, recent failures. */
export function progressView(p: Progress, now: number, elapsedMs: number, maxRunning = 10): string[] {
  const done = doneCount(p);
  const left = eta(p, elapsedMs);
  const lines = [
    `${progressBar(done, p.total, 30)} ${done}/${p.total}  ${p.counts.running} running  ${p.counts.failed} failed` +
      `${p.paused ? '  PAUSED' : ''}  elapsed ${formatDuration(elapsedMs)}${left !== undefined ? `  eta ${formatDuration(left)}` : ''}` +
      `${p.usage ? `  cost ${usd(p.usage.costUsd)}` : ''}${p.maxConcurrencyAuto ? `  ${concurrencyText(p)}` : ''}`,
  ];
  for (const g of p.groups ?? []) lines.push(`  ◆ ${groupLine(g)}`);
  for (const r of p.running.slice(0, maxRunning)) {
    const attempt = r.attempt ? `  attempt ${r.attempt}` : '';
    const waiting = r.waiting ? `  ${r.waiting}` : '';
    lines.push(
      `  ▶ ${r.id}${r.title ? ` (${r.title})` : ''}  ${formatDuration(now - Date.parse(r.startedAt))}${attempt}${waiting}`,
    );
    const m = r.items;
    if (m)
      lines.push(
        `    ${progressBar(m.done, m.total, 20)} ${m.done}/${m.total} items  ${m.running} running  ${m.failed} failed  max ${m.auto ? 'auto: ' : ''}${m.maxParallel}${m.paused ? '  PAUSED' : ''}`,
      );
  }
  if (p.running.length > maxRunning) lines.push(`  … and ${p.running.length - maxRunning} more running`);
  for (const w of p.waiting ?? []) lines.push(`  ⧗ ${w}`);
  for (const f of p.recentFailures.slice(-3)) lines.push(`  ✗ ${f.id}: ${f.error.split('\n')[0].slice(0, 120)}`);
  for (const r of p.limits ?? []) lines.push(`  rate limit ${limitLine(r)}`);
  return lines;
}

/** Columns padded to their widest cell, under a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
