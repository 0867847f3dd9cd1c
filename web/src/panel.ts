import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import { mapBar } from './dag';
import { duration, statusOf, usd, when } from './format';
import { html } from './html';
import type { GraphTask, MapProgress, TaskDetail, TaskRow } from './types';

const LOG_POLL_MS = 1_000;
const LOG_KEEP_CHARS = 60_000;

export interface PanelProps {
  run: string;
  task: GraphTask;
  row: TaskRow | undefined;
  map: MapProgress | undefined;
  /** The run's page in the Temporal Web UI, when the server has one. */
  runUrl: string | null;
  onClose: () => void;
}

/** Everything about one task: status, attempts, error, output, live logs, cost, merge, Web UI link. */
export function TaskPanel({ run, task, row, map, runUrl, onClose }: PanelProps) {
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [log, setLog] = useState('');
  const [error, setError] = useState<string | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const status = row?.status ?? 'pending';
  useEffect(() => closeRef.current?.focus(), [task.id]);
  useEffect(() => {
    let live = true;
    api
      .task(run, task.id)
      .then((d) => live && setDetail(d))
      .catch((err: Error) => live && setError(err.message));
    return () => void (live = false);
  }, [run, task.id, status, row?.attempts]);
  useEffect(() => {
    let live = true;
    let offset = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLog('');
    const poll = async () => {
      try {
        const l = await api.logs(run, task.id, offset);
        if (!live) return;
        if (l.live) {
          offset = l.offset;
          if (l.text) setLog((t) => (t + l.text).slice(-LOG_KEEP_CHARS));
          timer = setTimeout(poll, LOG_POLL_MS);
        } else setLog(l.text);
      } catch (err) {
        if (live) setError((err as Error).message);
      }
    };
    if (status !== 'pending' && status !== 'ready' && status !== 'skipped') void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [run, task.id, status]);
  const s = statusOf(status);
  const bar = mapBar(map ?? row?.items);
  const link =
    runUrl &&
    (task.child ? runUrl.replace(/workflows\/.*$/, `workflows/${encodeURIComponent(`${run}/${task.id}`)}`) : runUrl);
  return html`<aside
    class="panel"
    role="dialog"
    aria-modal="false"
    aria-labelledby="panel-title"
    onKeyDown=${(e: KeyboardEvent) => e.key === 'Escape' && onClose()}
  >
    <header>
      <h2 id="panel-title">${task.id}</h2>
      <button ref=${closeRef} type="button" class="ghost" onClick=${onClose} aria-label="close the task panel">
        ✕
      </button>
    </header>
    ${task.title ? html`<p>${task.title}</p>` : null}
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <span class=${`badge s-${status}`} data-panel-status=${status}
          ><span aria-hidden="true">${s.icon}</span> ${s.label}</span
        >
      </dd>
      <dt>Attempts</dt>
      <dd>${row?.attempts ?? 0}</dd>
      <dt>Started</dt>
      <dd>${when(row?.startedAt ?? null)}</dd>
      <dt>Took</dt>
      <dd>${row?.startedAt && row.endedAt ? duration(Date.parse(row.endedAt) - Date.parse(row.startedAt)) : '–'}</dd>
      <dt>Worker</dt>
      <dd>${row?.worker ?? '–'}</dd>
      <dt>Cost</dt>
      <dd>
        ${detail?.usage ? `${usd(detail.usage.costUsd)} · ${detail.usage.inputTokens} in / ${detail.usage.outputTokens} out tokens` : '–'}
      </dd>
      <dt>Depends on</dt>
      <dd>${task.dependsOn.length ? task.dependsOn.join(', ') : '–'}</dd>
      ${
        task.group
          ? html`<dt>Group</dt>
              <dd>${task.group}${task.phase ? ` (${task.phase})` : ''}</dd>`
          : null
      }
    </dl>
    ${
      bar
        ? html`<section class="map">
            <h3>Items</h3>
            <div
              class="bar big"
              role="progressbar"
              aria-valuemin="0"
              aria-valuemax=${bar.total}
              aria-valuenow=${bar.done}
            >
              <span style=${`width:${bar.total ? (100 * bar.done) / bar.total : 0}%`}></span>
            </div>
            <p>
              ${bar.done} of ${bar.total} · ${bar.failed}
              failed${map ? ` · ${map.running} running · maxParallel ${map.maxParallel}` : ''}
            </p>
            ${row?.stop || map?.stop ? html`<p>Stopped: ${row?.stop ?? map?.stop?.reason}</p>` : null}
          </section>`
        : null
    }
    ${
      detail?.error
        ? html`<section>
            <h3>Error</h3>
            <pre class="error">${detail.error}</pre>
          </section>`
        : null
    }
    ${
      detail?.reason && status !== 'failed'
        ? html`<section>
            <h3>Why</h3>
            <p>${detail.reason}</p>
          </section>`
        : null
    }
    ${
      detail?.merge
        ? html`<section>
            <h3>Merge</h3>
            <pre>${JSON.stringify(detail.merge, null, 2)}</pre>
          </section>`
        : null
    }
    <section>
      <h3>${status === 'running' ? 'Live output' : 'Output'}</h3>
      <pre class="log" data-log aria-live="off">${log || (detail?.output ?? '') || '(none)'}</pre>
    </section>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${link ? html`<p><a href=${link} target="_blank" rel="noopener">Open in the Temporal Web UI</a>${task.child ? '' : ' (the run: this task runs inline)'}</p>` : null}
  </aside>`;
}

/** A collapsed group or level: its tasks with their status, each a way into its panel. */
export function BucketPanel({
  label,
  tasks,
  rows,
  onOpen,
  onClose,
}: {
  label: string;
  tasks: string[];
  rows: Map<string, TaskRow>;
  onOpen: (id: string) => void;
  onClose: () => void;
}) {
  const shown = tasks.slice(0, 300);
  return html`<aside
    class="panel"
    role="dialog"
    aria-label=${label}
    onKeyDown=${(e: KeyboardEvent) => e.key === 'Escape' && onClose()}
  >
    <header>
      <h2>${label}</h2>
      <button type="button" class="ghost" onClick=${onClose} aria-label="close">✕</button>
    </header>
    <ul class="tasklist">
      ${shown.map((id) => {
        const s = statusOf(rows.get(id)?.status ?? 'pending');
        return html`<li>
          <button type="button" class="link" onClick=${() => onOpen(id)}>
            <span aria-hidden="true">${s.icon}</span> ${id} <span class="muted">${s.label}</span>
          </button>
        </li>`;
      })}
    </ul>
    ${tasks.length > shown.length ? html`<p class="muted">and ${tasks.length - shown.length} more</p>` : null}
  </aside>`;
}
