import { duration, statusOf } from './format';
import { html } from './html';
import type { TaskRow } from './types';

export interface GanttProps {
  rows: TaskRow[];
  /** When each observed retry of a task began (from the event stream), by task. */
  retries: Map<string, number[]>;
  lowerBoundMs: number;
  now: number;
  onSelect: (task: string) => void;
}

const LABEL_W = 180;
const ROW_H = 18;
const MAX_BARS = 1_000;

/**
 * One bar per started task on the run's clock, retries as segments, the lower bound as a line, so
 * the gap between the run and the best any schedule could do shows. Segments whose start the page
 * saw (live) sit at that time; the earlier attempts of a task that ended before the page opened are
 * drawn as equal parts, as their times are not recorded.
 */
export function Gantt({ rows, retries, lowerBoundMs, now, onSelect }: GanttProps) {
  const started = rows
    .filter((r) => r.startedAt)
    .sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!) || a.id.localeCompare(b.id));
  if (!started.length) return html`<p class="muted">No task has started yet.</p>`;
  const shown = started.slice(0, MAX_BARS);
  const t0 = Date.parse(started[0].startedAt!);
  const end = (r: TaskRow) => (r.endedAt ? Date.parse(r.endedAt) : now);
  const last = Math.max(...shown.map(end), t0 + lowerBoundMs, t0 + 1);
  const width = 900;
  const span = width - LABEL_W - 16;
  const x = (t: number) => LABEL_W + ((t - t0) / (last - t0)) * span;
  const height = shown.length * ROW_H + 30;
  const lb = x(t0 + lowerBoundMs);
  return html`<div class="gantt" role="region" aria-label="timeline">
    <svg
      width="100%"
      viewBox=${`0 0 ${width} ${height}`}
      preserveAspectRatio="xMinYMin meet"
      style=${`max-width:${width}px`}
    >
      <line class="lb" x1=${lb} x2=${lb} y1="0" y2=${height - 14} />
      <text class="lb-label" x=${lb - 4} y=${height - 2} text-anchor="end">lower bound ${duration(lowerBoundMs)}</text>
      <text class="axis" x=${width - 4} y=${height - 2} text-anchor="end">${duration(last - t0)}</text>
      ${shown.map((r, i) => {
        const from = Date.parse(r.startedAt!);
        const to = end(r);
        const seen = (retries.get(r.id) ?? []).filter((t) => t > from && t < to);
        const cuts =
          seen.length >= r.attempts - 1
            ? seen
            : Array.from({ length: r.attempts - 1 }, (_, k) => from + ((to - from) * (k + 1)) / r.attempts);
        const bounds = [from, ...cuts, to];
        const s = statusOf(r.status);
        return html`<g
          class=${`bar s-${r.status}`}
          data-gantt-task=${r.id}
          data-attempts=${r.attempts}
          transform=${`translate(0,${i * ROW_H + 4})`}
          onClick=${() => onSelect(r.id)}
        >
          <title>${r.id}: ${s.label}, ${duration(to - from)}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''}</title>
          <text class="label" x=${LABEL_W - 6} y="11" text-anchor="end"
            >${s.icon} ${r.id.length > 24 ? `${r.id.slice(0, 23)}…` : r.id}</text
          >
          ${bounds
            .slice(1)
            .map(
              (b, k) =>
                html`<rect
                  class=${`seg${k < bounds.length - 2 ? ' retried' : ''}`}
                  data-attempt=${k + 1}
                  x=${x(bounds[k])}
                  width=${Math.max(1.5, x(b) - x(bounds[k]) - (k < bounds.length - 2 ? 1.5 : 0))}
                  y="1"
                  height=${ROW_H - 6}
                  rx="2"
                />`,
            )}
        </g>`;
      })}
    </svg>
    ${started.length > shown.length ? html`<p class="muted small">The first ${MAX_BARS} of ${started.length} started tasks.</p>` : null}
  </div>`;
}
