import { useEffect, useState } from 'preact/hooks';
import { api, Unauthorized } from './api';
import { duration, statusOf, usd, when } from './format';
import { html } from './html';
import type { Listing } from './types';

const STATUSES = ['', 'running', 'succeeded', 'failed', 'cancelled', 'terminated'];
const REFRESH_MS = 5_000;

export interface PageProps {
  onUnauthorized: () => void;
  onAuthorized: () => void;
}

/** Recent runs as `ptq list` shows them, filtered by status and plan, refreshed every few seconds. */
export function RunsPage({ onUnauthorized, onAuthorized }: PageProps) {
  const [status, setStatus] = useState('');
  const [plan, setPlan] = useState('');
  const [runs, setRuns] = useState<Listing[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      api
        .runs({ status, plan: plan.trim() })
        .then((r) => {
          if (!live) return;
          onAuthorized();
          setRuns(r);
          setError(null);
        })
        .catch((err: Error) => (err instanceof Unauthorized ? onUnauthorized() : live && setError(err.message)));
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [status, plan]);
  return html`<main class="page">
    <h1>Runs</h1>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label
        >Status
        <select value=${status} onChange=${(e: Event) => setStatus((e.target as HTMLSelectElement).value)}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select>
      </label>
      <label
        >Plan
        <input
          type="search"
          value=${plan}
          placeholder="plan name"
          onInput=${(e: Event) => setPlan((e.target as HTMLInputElement).value)}
        />
      </label>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      runs === null
        ? html`<p class="muted">Loading…</p>`
        : runs.length === 0
          ? html`<p class="muted">No runs${status || plan ? ' match' : ' yet'}.</p>`
          : html`<table class="runs">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Plan</th>
                  <th>Status</th>
                  <th>Progress</th>
                  <th class="num">Cost</th>
                  <th class="num">Duration</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                ${runs.map((r) => html`<${RunRow} run=${r} />`)}
              </tbody>
            </table>`
    }
  </main>`;
}

function RunRow({ run }: { run: Listing }) {
  const s = statusOf(run.status);
  const total = run.total ?? 0;
  const done = run.done ?? 0;
  return html`<tr data-run=${run.id}>
    <td>
      <a href=${`/ui/runs/${encodeURIComponent(run.id)}`}>${run.id}</a
      >${run.retryOf ? html`<div class="muted small">retry of ${run.retryOf}</div>` : null}
    </td>
    <td>${run.plan ?? '–'}</td>
    <td>
      <span class=${`badge s-${run.status}`}><span aria-hidden="true">${s.icon}</span> ${s.label}</span>
    </td>
    <td>
      ${
        run.total === null
          ? '–'
          : html`<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax=${total} aria-valuenow=${done}>
                <span style=${`width:${total ? (100 * done) / total : 0}%`}></span>
              </div>
              <span class="small">${done} of ${total}</span>`
      }
    </td>
    <td class="num">${usd(run.costUsd)}</td>
    <td class="num">${duration(run.durationMs)}</td>
    <td class="small">${when(run.startedAt)}</td>
  </tr>`;
}
