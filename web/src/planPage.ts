import { useState } from 'preact/hooks';
import { api, Unauthorized } from './api';
import { Dag } from './dag';
import { duration } from './format';
import { html } from './html';
import type { PageProps } from './runsPage';
import type { Graph } from './types';

type Check =
  | { ok: false; problems: string[] }
  | {
      ok: true;
      warnings: string[];
      policy: string;
      graph: Graph;
      policies: Array<{ policy: string; makespanMs: number; lowerBoundMs: number }>;
    };

const EMPTY_ROWS = new Map();
const NO_MAPS = new Map();

/**
 * A plan before it runs: pasted or uploaded, checked as `ptq validate` does, and simulated per
 * policy as `ptq simulate` does, each schedule drawn next to the lower bound.
 */
export function PlanPage({ onUnauthorized, onAuthorized }: PageProps) {
  const [text, setText] = useState('');
  const [m, setM] = useState('');
  const [result, setResult] = useState<Check | null>(null);
  const [error, setError] = useState<string | null>(null);
  const check = async (e: Event) => {
    e.preventDefault();
    try {
      setResult((await api.check(text, m ? Number(m) : undefined)) as Check);
      setError(null);
      onAuthorized();
    } catch (err) {
      if (err instanceof Unauthorized) onUnauthorized();
      else setError((err as Error).message);
    }
  };
  const upload = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  return html`<main class="page">
    <h1>Check a plan</h1>
    <form class="plan" onSubmit=${check}>
      <label for="plan-text">Plan (JSON or YAML)</label>
      <textarea
        id="plan-text"
        rows="12"
        spellcheck="false"
        value=${text}
        onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
      ></textarea>
      <div class="row">
        <label>Or a file <input type="file" accept=".json,.yaml,.yml" onChange=${upload} /></label>
        <label
          >M
          <input
            type="number"
            min="1"
            max="10000"
            placeholder="the plan's"
            value=${m}
            onInput=${(e: Event) => setM((e.target as HTMLInputElement).value)}
        /></label>
        <button type="submit">Check</button>
      </div>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      result && !result.ok
        ? html`<section class="problems" data-check="problems">
            <h2>Problems</h2>
            <ul>
              ${result.problems.map((p) => html`<li>${p}</li>`)}
            </ul>
          </section>`
        : null
    }
    ${result && result.ok ? html`<${Verdict} result=${result} />` : null}
  </main>`;
}

function Verdict({ result }: { result: Extract<Check, { ok: true }> }) {
  const g = result.graph;
  const longest = Math.max(...result.policies.map((p) => p.makespanMs), g.lowerBoundMs, 1);
  return html`<section data-check="ok">
    <h2>The plan is valid</h2>
    <p>
      ${g.tasks.length} tasks at M=${g.maxConcurrency}; critical path ${duration(g.criticalPathMs)}
      (${g.criticalPath.join(' → ')}), work ${duration(g.workMs)}, lower bound ${duration(g.lowerBoundMs)}.
    </p>
    ${
      result.warnings.length
        ? html`<ul class="warn">
            ${result.warnings.map((w) => html`<li>${w}</li>`)}
          </ul>`
        : null
    }
    <h3>Simulated schedule (every task takes its estimate)</h3>
    <table class="sim">
      <thead>
        <tr>
          <th>Policy</th>
          <th>Makespan</th>
          <th>vs lower bound</th>
          <th class="barcol">Schedule and lower bound</th>
        </tr>
      </thead>
      <tbody>
        ${result.policies.map(
          (p) =>
            html`<tr data-policy=${p.policy}>
              <td>${p.policy}${p.policy === result.policy ? ' (the plan’s)' : ''}</td>
              <td class="num">${duration(p.makespanMs)}</td>
              <td class="num">${(p.makespanMs / Math.max(1, g.lowerBoundMs)).toFixed(3)}×</td>
              <td class="barcol">
                <div class="simbar">
                  <span style=${`width:${(100 * p.makespanMs) / longest}%`}></span
                  ><i class="lbmark" style=${`left:${(100 * g.lowerBoundMs) / longest}%`} title="lower bound"></i>
                </div>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Graph</h3>
    <${Dag} graph=${g} rows=${EMPTY_ROWS} maps=${NO_MAPS} selected=${null} onSelect=${() => undefined} />
  </section>`;
}
