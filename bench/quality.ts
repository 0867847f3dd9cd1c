import { summaryOf } from '../src/client';
import { startRun } from '../src/client';
import { simulate, POLICIES, type Execution, type Policy } from '../src/core';
import { randomDag } from './dags';
import { mean, type BenchContext, type Rows } from './support';

/**
 * Makespan / lower bound for each policy: simulated over many random DAGs (pure scheduling), and
 * real runs of one DAG of sleeps on the dev server (scheduling plus Temporal's per-task cost).
 */
export async function quality({ client, taskQueue, quick }: BenchContext): Promise<Rows> {
  const m = 8;
  const rows: Rows = [];
  // Virtual time: many DAGs, pure scheduling quality.
  const seeds = Array.from({ length: quick ? 10 : 50 }, (_, i) => i + 1);
  const ratio: Record<Policy, number[]> = { 'critical-path': [], fifo: [], levels: [] };
  const vsLevels: number[] = [];
  for (const seed of seeds) {
    const dag = randomDag(seed, 200, m);
    const r = Object.fromEntries(POLICIES.map((p) => [p, simulate(dag, p, m)]));
    for (const p of POLICIES) ratio[p].push(r[p].ratio);
    vsLevels.push(1 - r['critical-path'].makespanMs / r.levels.makespanMs);
  }
  for (const p of POLICIES) {
    rows.push([
      `simulated makespan/LB, ${seeds.length} DAGs x 200, M=${m}: ${p}`,
      mean(ratio[p]).toFixed(3),
      `max ${Math.max(...ratio[p]).toFixed(3)}`,
      '',
      p === 'critical-path' ? '<= 1.10' : '',
    ]);
  }
  rows.push([
    'simulated: critical-path shorter than levels by',
    `${(mean(vsLevels) * 100).toFixed(1)}%`,
    '',
    '',
    '>= 15%',
  ]);
  // Real runs on the dev server: one DAG, sleep tasks, every policy; critical-path also inline.
  const dag = randomDag(1, quick ? 60 : 200, m);
  const real: Record<string, number> = {};
  const runs: [Policy, Execution][] = [
    ...POLICIES.map((p): [Policy, Execution] => [p, 'child']),
    ['critical-path', 'inline'],
    ['critical-path', 'auto'],
  ];
  const sleeps = dag.tasks.reduce((sum, t) => sum + (t.estimate ?? 0), 0);
  for (const [policy, execution] of runs) {
    const plan = { ...dag, defaults: { ...dag.defaults, execution } };
    const summary = await summaryOf(await startRun(client, plan, { taskQueue, policy }));
    const lb = simulate(dag, policy, m).lowerBoundMs;
    const overhead = (summary.workMs - sleeps) / dag.tasks.length;
    real[`${policy}/${execution}`] = summary.makespanMs;
    rows.push([
      `real makespan/LB, 1 DAG x ${dag.tasks.length} sleeps, M=${m}: ${policy}, ${execution}`,
      (summary.makespanMs / lb).toFixed(3),
      `${(summary.makespanMs / 1000).toFixed(1)}s, +${overhead.toFixed(0)} ms/task`,
      '',
      execution === 'auto' ? '<= 1.05' : policy === 'critical-path' ? '<= 1.10' : '',
    ]);
  }
  rows.push([
    'real: critical-path shorter than levels by',
    `${((1 - real['critical-path/child'] / real['levels/child']) * 100).toFixed(1)}%`,
    '',
    '',
    '>= 15%',
  ]);
  return rows;
}
