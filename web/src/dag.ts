import { useMemo } from 'preact/hooks';
import { layoutGraph, type NodeBox } from './dagLayout';
import { statusOf, STATUS } from './format';
import { html } from './html';
import type { Graph, MapItems, MapProgress, Status, TaskRow } from './types';

export interface DagProps {
  graph: Graph;
  rows: Map<string, TaskRow>;
  /** Running maps' own progress, by task. */
  maps: Map<string, MapProgress>;
  /** Phase of each group with before/after tasks, by group. */
  phases?: Map<string, string>;
  selected: string | null;
  onSelect: (key: string) => void;
}

/** A map's bar: done of total, from its live progress or, once it ended, its item counts. */
export function mapBar(
  items: MapProgress | MapItems | undefined,
): { done: number; total: number; failed: number } | null {
  if (!items) return null;
  const done = 'done' in items ? items.done : items.succeeded + items.failed + items.cancelled;
  return { done, total: items.total, failed: items.failed };
}

/**
 * The run as a graph: each task a node with `data-task` and `data-status`, its status as a sign and
 * a word beside the colour, the critical path drawn heavier, groups as boxes, `finally` apart.
 * Nodes are buttons: Tab reaches them, Enter or Space opens the task.
 */
export function Dag({ graph, rows, maps, phases, selected, onSelect }: DagProps) {
  const lay = useMemo(() => layoutGraph(graph), [graph]);
  const critical = useMemo(() => new Set(graph.criticalPath), [graph]);
  const criticalKeys = useMemo(() => new Set(graph.criticalPath.map((id) => `t:${id}`)), [graph]);
  const statusOfTask = (id: string): Status => rows.get(id)?.status ?? 'pending';
  const node = (n: NodeBox) => {
    if (n.bucket) return bucket(n);
    const t = n.task!;
    const status = statusOfTask(t.id);
    const s = statusOf(status);
    const row = rows.get(t.id);
    const bar = t.map ? mapBar(maps.get(t.id) ?? row?.items) : null;
    const onCritical = critical.has(t.id);
    const label = `${t.id}: ${s.label}${onCritical ? ', on the critical path' : ''}${t.final ? ', finally' : ''}`;
    const open = () => onSelect(n.key);
    return html`<g
      class=${`node s-${status}${onCritical ? ' critical' : ''}${selected === n.key ? ' selected' : ''}`}
      data-task=${t.id}
      data-status=${status}
      transform=${`translate(${n.x},${n.y})`}
      tabindex="0"
      role="button"
      aria-label=${label}
      onClick=${open}
      onKeyDown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), open())}
    >
      <title>${label}${row?.why ? ` — ${row.why}` : ''}</title>
      <rect class="box" width=${n.w} height=${n.h} rx="8" />
      <text class="icon" x="12" y="23" aria-hidden="true">${s.icon}</text>
      <text class="name" x="30" y="23">${clip(t.title ? `${t.id} · ${t.title}` : t.id, 22)}</text>
      <text class="sub" x="12" y="43"
        >${s.label}${t.phase ? ` · ${t.phase}` : ''}${t.map ? ' · map' : ''}${row && row.attempts > 1 ? ` · ${row.attempts} attempts` : ''}</text
      >
      ${
        bar
          ? html`<g class="mapbar" transform="translate(12,52)">
              <rect class="track" width=${n.w - 24} height="8" rx="4" />
              <rect class="done" width=${bar.total ? ((n.w - 24) * bar.done) / bar.total : 0} height="8" rx="4" />
              ${bar.failed ? html`<rect class="failedpart" width=${bar.total ? Math.max(2, ((n.w - 24) * bar.failed) / bar.total) : 0} height="8" rx="2" />` : null}
              <text class="sub" x="0" y="20">${barText(bar)}</text>
            </g>`
          : null
      }
    </g>`;
  };
  const bucket = (n: NodeBox) => {
    const b = n.bucket!;
    const counts = new Map<Status, number>();
    for (const id of b.tasks) counts.set(statusOfTask(id), (counts.get(statusOfTask(id)) ?? 0) + 1);
    const parts = (Object.keys(STATUS) as Status[]).filter((s) => counts.get(s));
    const text = parts.map((s) => `${STATUS[s].icon} ${counts.get(s)}`).join('  ');
    const onCritical = b.tasks.some((id) => critical.has(id));
    const label = `${b.label}: ${b.tasks.length} tasks, ${parts.map((s) => `${counts.get(s)} ${s}`).join(', ')}${onCritical ? ', on the critical path' : ''}`;
    let x = 0;
    return html`<g
      class=${`node bucket${onCritical ? ' critical' : ''}${selected === n.key ? ' selected' : ''}`}
      data-bucket=${b.label}
      transform=${`translate(${n.x},${n.y})`}
      tabindex="0"
      role="button"
      aria-label=${label}
      onClick=${() => onSelect(n.key)}
      onKeyDown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect(n.key))}
    >
      <title>${label}</title>
      <rect class="box" width=${n.w} height=${n.h} rx="8" />
      <text class="name" x="12" y="22">${b.label} · ${b.tasks.length} tasks</text>
      <text class="sub" x="12" y="42">${text}</text>
      <g transform="translate(12,52)">
        ${parts.map((s) => {
          const w = ((n.w - 24) * counts.get(s)!) / b.tasks.length;
          const r = html`<rect class=${`seg s-${s}`} x=${x} width=${w} height="8" />`;
          x += w;
          return r;
        })}
      </g>
    </g>`;
  };
  const path = (pts: Array<{ x: number; y: number }>) => `M${pts.map((p) => `${p.x},${p.y}`).join('L')}`;
  return html`<div class="dag" role="region" aria-label="task graph" tabindex="-1">
    <svg width=${lay.width} height=${lay.height} viewBox=${`0 0 ${lay.width} ${lay.height}`}>
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="8"
          markerHeight="8"
          markerUnits="userSpaceOnUse"
          orient="auto-start-reverse"
        >
          <path d="M0,0L10,5L0,10z" class="arrowhead" />
        </marker>
      </defs>
      ${lay.groups.map(
        (g) =>
          html`<g class="group" data-group=${g.name}>
            <rect x=${g.x - 6} y=${g.y - 20} width=${g.w + 12} height=${g.h + 26} rx="10" />
            <text x=${g.x} y=${g.y - 6}>group ${g.name}${phases?.get(g.name) ? ` · ${phases.get(g.name)}` : ''}</text>
          </g>`,
      )}
      ${
        lay.finalBox
          ? html`<g class="group finally">
              <rect x=${lay.finalBox.x} y=${lay.finalBox.y} width=${lay.finalBox.w} height=${lay.finalBox.h} rx="10" />
              <text x=${lay.finalBox.x + 8} y=${lay.finalBox.y + 14}
                >finally: runs after the rest, whatever happened</text
              >
            </g>`
          : null
      }
      ${lay.edges.map(
        (e) =>
          html`<path
            class=${`edge${criticalKeys.has(e.from) && criticalKeys.has(e.to) ? ' critical' : ''}`}
            d=${path(e.points)}
            marker-end="url(#arrow)"
          />`,
      )}
      ${lay.nodes.map(node)} ${lay.finals.map(node)}
    </svg>
  </div>`;
}

/** "1,200 of 50,000 · 3 failed": one string, so no markup formatting can eat its spaces. */
function barText(bar: { done: number; total: number; failed: number }): string {
  const of = `${bar.done.toLocaleString('en-US')} of ${bar.total.toLocaleString('en-US')}`;
  return bar.failed ? `${of} · ${bar.failed} failed` : of;
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
