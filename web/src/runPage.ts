import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, Unauthorized } from './api';
import { Controls } from './controls';
import { Dag, mapBar } from './dag';
import { layoutGraph } from './dagLayout';
import { duration, statusOf, usd } from './format';
import { Gantt } from './gantt';
import { html } from './html';
import { BucketPanel, TaskPanel } from './panel';
import type { PageProps } from './runsPage';
import type { FeedEvent, Graph, MapProgress, RunView, Status, TaskRow } from './types';

const REFRESH_MS = 2_000;

/**
 * A run: its summary strip, controls, graph, maps, timeline and a task panel. Task statuses come
 * from the run's event stream (the API's SSE route) as they happen, so nodes change in place;
 * the progress (maps' bars, M, pause) is read again every two seconds while the run goes on.
 */
export function RunPage({ id, onUnauthorized, onAuthorized }: PageProps & { id: string }) {
  const [view, setView] = useState<RunView | null>(null);
  const [graph, setGraph] = useState<Graph | null>(null);
  const rows = useRef(new Map<string, TaskRow>());
  const retries = useRef(new Map<string, number[]>());
  const [, setVersion] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const bump = () => setVersion((v) => v + 1);
  const fail = (err: Error) => (err instanceof Unauthorized ? onUnauthorized() : setError(err.message));

  const loadRows = () =>
    api.tasks(id).then((r) => {
      for (const t of r.tasks) rows.current.set(t.id, t);
      bump();
    });
  const loadView = () => api.run(id).then((v) => (setView(v), onAuthorized(), v));
  const loadGraph = () => api.graph(id).then((g) => setGraph(g.graph));

  useEffect(() => {
    let open = true;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    const pending: FeedEvent[] = [];
    let flush = 0;
    const apply = () => {
      flush = 0;
      for (const e of pending.splice(0)) applyEvent(rows.current, retries.current, e);
      bump();
    };
    loadView()
      .then(async (v) => {
        await Promise.all([loadGraph(), loadRows()]);
        if (!open || v.status !== 'running') return;
        source = api.events(id);
        source.onmessage = (m) => {
          pending.push(JSON.parse(m.data) as FeedEvent);
          flush ||= requestAnimationFrame(apply);
        };
        source.addEventListener('end', () => {
          source?.close();
          void Promise.all([loadView(), loadRows(), loadGraph()]).catch(fail);
          clearInterval(timer);
        });
        timer = setInterval(() => {
          setNow(Date.now());
          void loadView().catch(() => undefined);
        }, REFRESH_MS);
      })
      .catch(fail);
    return () => {
      open = false;
      source?.close();
      clearInterval(timer);
    };
  }, [id]);

  const maps = useMemo(() => {
    const m = new Map<string, MapProgress>();
    for (const r of view?.progress?.running ?? []) if (r.items) m.set(r.id, r.items);
    return m;
  }, [view]);
  const phases = useMemo(() => new Map((view?.progress?.groups ?? []).map((g) => [g.name, g.phase])), [view]);
  const lay = useMemo(() => (graph ? layoutGraph(graph) : null), [graph]);

  if (error && !view) return html`<main class="page"><p class="error" role="alert">${error}</p></main>`;
  if (!view) return html`<main class="page"><p class="muted">Loading…</p></main>`;
  const all = [...rows.current.values()];
  const byTask = new Map(graph?.tasks.map((t) => [t.id, t]));
  const selectedTask = selected?.startsWith('t:') ? byTask.get(selected.slice(2)) : undefined;
  const selectedBucket =
    selected && !selected.startsWith('t:') ? lay?.nodes.find((n) => n.key === selected)?.bucket : undefined;
  const mapTasks = graph?.tasks.filter((t) => t.map) ?? [];
  const refresh = () => void Promise.all([loadView(), loadRows()]).catch(fail);
  return html`<main class="page run">
    <div class="title">
      <h1><span class="muted">run</span> ${id}</h1>
      ${view.url ? html`<a href=${view.url} target="_blank" rel="noopener">Temporal Web UI</a>` : null}
    </div>
    <${Strip} view=${view} rows=${all} graph=${graph} now=${now} />
    <${Controls}
      id=${id}
      running=${view.status === 'running'}
      paused=${Boolean(view.progress?.paused)}
      m=${view.progress?.maxConcurrency ?? view.summary?.maxConcurrency ?? 1}
      failed=${view.status === 'failed' || view.status === 'cancelled'}
      onDone=${refresh}
    />
    ${view.server ? html`<p class="warn" role="status">No worker answers for this run now: ${(view.server as { why?: string }).why ?? ''}</p>` : null}
    ${(view.summary?.reason ?? view.progress?.reason) ? html`<p class="warn">Stopped: ${view.summary?.reason ?? view.progress?.reason}</p>` : null}
    <section aria-labelledby="dag-title">
      <h2 id="dag-title">
        Graph
        ${lay?.collapsed ? html`<span class="muted small"> (${graph!.tasks.length} tasks: one box per group or level)</span>` : null}
      </h2>
      <${Legend} />
      ${
        graph
          ? html`<${Dag}
              graph=${graph}
              rows=${rows.current}
              maps=${maps}
              phases=${phases}
              selected=${selected}
              onSelect=${setSelected}
            />`
          : html`<p class="muted">The plan is not made yet.</p>`
      }
    </section>
    ${
      mapTasks.length
        ? html`<section aria-labelledby="maps-title">
            <h2 id="maps-title">Maps</h2>
            ${mapTasks.map((t) => html`<${MapRow} id=${t.id} row=${rows.current.get(t.id)} live=${maps.get(t.id)} onOpen=${() => setSelected(`t:${t.id}`)} />`)}
          </section>`
        : null
    }
    <section aria-labelledby="gantt-title">
      <h2 id="gantt-title">Timeline</h2>
      <${Gantt}
        rows=${all}
        retries=${retries.current}
        lowerBoundMs=${graph?.lowerBoundMs ?? 0}
        now=${now}
        onSelect=${(t: string) => setSelected(`t:${t}`)}
      />
    </section>
    ${
      selectedTask
        ? html`<${TaskPanel}
            run=${id}
            task=${selectedTask}
            row=${rows.current.get(selectedTask.id)}
            map=${maps.get(selectedTask.id)}
            runUrl=${view.url}
            onClose=${() => setSelected(null)}
          />`
        : selectedBucket
          ? html`<${BucketPanel}
              label=${selectedBucket.label}
              tasks=${selectedBucket.tasks}
              rows=${rows.current}
              onOpen=${(t: string) => setSelected(`t:${t}`)}
              onClose=${() => setSelected(null)}
            />`
          : null
    }
  </main>`;
}

/** Folds one streamed event into the task rows: the stream is the live source of truth for statuses. */
function applyEvent(rows: Map<string, TaskRow>, retries: Map<string, number[]>, e: FeedEvent): void {
  // Waits on a rate limit say nothing of a task's status.
  if (e.event === 'waiting' || e.event === 'waited') return;
  const row: TaskRow = rows.get(e.task) ?? {
    id: e.task,
    status: 'pending',
    attempts: 0,
    startedAt: null,
    endedAt: null,
    worker: null,
    why: null,
  };
  if (e.event === 'retrying') {
    retries.set(e.task, [...(retries.get(e.task) ?? []), Date.parse(e.at)]);
    rows.set(e.task, { ...row, attempts: Math.max(row.attempts, e.attempt ?? 0) });
    return;
  }
  const status: Status = e.event === 'started' ? 'running' : e.event;
  rows.set(e.task, {
    ...row,
    status,
    startedAt: e.event === 'started' ? e.at : row.startedAt,
    endedAt: e.event === 'started' ? null : e.at,
    attempts: e.attempts ?? row.attempts,
    why: e.why ?? row.why,
  });
}

function Strip({ view, rows, graph, now }: { view: RunView; rows: TaskRow[]; graph: Graph | null; now: number }) {
  const s = statusOf(view.status);
  const sum = view.summary;
  const p = view.progress;
  const total = graph?.tasks.length ?? p?.total ?? 0;
  const done = rows.filter((r) => ['succeeded', 'failed', 'skipped', 'cancelled'].includes(r.status)).length;
  const starts = rows.filter((r) => r.startedAt).map((r) => Date.parse(r.startedAt!));
  const elapsed = sum ? sum.makespanMs : starts.length ? now - Math.min(...starts) : null;
  const workers = new Set(rows.map((r) => r.worker).filter(Boolean)).size;
  const cost = sum ? sum.cost.totalUsd : (p?.usage?.costUsd ?? null);
  const cells: Array<[string, string]> = [
    ['Progress', `${done} of ${total}`],
    [sum ? 'Makespan' : 'Elapsed', duration(elapsed)],
    ['Lower bound', duration(graph?.lowerBoundMs)],
    ['Speedup', sum ? `${sum.speedup.toFixed(2)}×` : '–'],
    ['Efficiency', sum ? `${Math.round(sum.efficiency * 100)}%` : '–'],
    ['Cost', usd(cost)],
    ['M', String(p?.maxConcurrency ?? sum?.maxConcurrency ?? '–')],
    ['Workers', workers ? String(workers) : '–'],
  ];
  return html`<div class="strip" data-run-status=${view.status}>
    <div class="cell status">
      <span class="k">Status</span
      ><span class=${`badge s-${view.status}`}
        ><span aria-hidden="true">${s.icon}</span> ${s.label}${p?.paused ? ' (paused)' : ''}</span
      >
    </div>
    ${cells.map(([k, v]) => html`<div class="cell"><span class="k">${k}</span><span class="v">${v}</span></div>`)}
    <div
      class="bar wide"
      role="progressbar"
      aria-label="tasks done"
      aria-valuemin="0"
      aria-valuemax=${total}
      aria-valuenow=${done}
    >
      <span style=${`width:${total ? (100 * done) / total : 0}%`}></span>
    </div>
  </div>`;
}

function MapRow({
  id,
  row,
  live,
  onOpen,
}: {
  id: string;
  row: TaskRow | undefined;
  live: MapProgress | undefined;
  onOpen: () => void;
}) {
  const bar = mapBar(live ?? row?.items);
  const s = statusOf(row?.status ?? 'pending');
  const stop = row?.stop ?? live?.stop?.reason;
  return html`<div class="maprow" data-map=${id}>
    <button type="button" class="link" onClick=${onOpen}><span aria-hidden="true">${s.icon}</span> ${id}</button>
    <div
      class="bar big"
      role="progressbar"
      aria-label=${`${id} items`}
      aria-valuemin="0"
      aria-valuemax=${bar?.total ?? 0}
      aria-valuenow=${bar?.done ?? 0}
    >
      <span style=${`width:${bar && bar.total ? (100 * bar.done) / bar.total : 0}%`}></span>
    </div>
    <span class="count" data-map-count
      >${bar ? `${bar.done.toLocaleString('en-US')} of ${bar.total.toLocaleString('en-US')}` : s.label}</span
    >
    <span class="small"
      >${bar ? `${bar.failed} failed` : ''}${live ? ` · ${live.running} running · maxParallel ${live.maxParallel}` : ''}</span
    >
    ${stop ? html`<span class="small">Stopped: ${stop}</span>` : null}
    ${row?.status === 'failed' && row.why ? html`<span class="small error">First failures: ${row.why}</span>` : null}
  </div>`;
}

function Legend() {
  const all: Status[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
  return html`<ul class="legend" aria-label="legend">
    ${all.map((st) => html`<li class=${`s-${st}`}><span class="chip"></span><span aria-hidden="true">${statusOf(st).icon}</span> ${st}</li>`)}
    <li class="crit"><span class="chip"></span> critical path</li>
  </ul>`;
}
