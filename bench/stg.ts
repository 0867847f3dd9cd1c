import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraph, Plan, prioritySeed, searchPriority, simulate, type Policy } from '../src/core';
import { stgPlan } from './stgFormat';
import { randomDag } from './dags';
import { mean, type Rows } from './support';

/**
 * Schedule quality on the Standard Task Graph Set (Tobita & Kasahara, J. Scheduling 5(5), 2002):
 * simulated makespan / published optimum for each policy, on every graph of `dir` with a known
 * optimum in `dir/optimal.tsv` (graph, tasks, m, optimal, ...; times in the file's units). Also the
 * time the critical-path search takes at 1,000 and 20,000 tasks. Pure scheduling: no server.
 */
export function stg(dir: string): Rows {
  const table = readFileSync(join(dir, 'optimal.tsv'), 'utf8').trim().split('\n').slice(1);
  const cases = table.map((l) => l.split('\t')).filter(([, , , optimal]) => optimal !== '');
  const plans = new Map<string, Plan>();
  const variants: Array<[string, Policy, boolean]> = [
    ['critical-path (searched order, the default)', 'critical-path', true],
    ['longest-path-first (before)', 'critical-path', false],
    ['fifo', 'fifo', false],
    ['levels', 'levels', false],
  ];
  const ratios = variants.map(() => [] as number[]);
  for (const [graph, , m, optimal] of cases) {
    if (!plans.has(graph)) plans.set(graph, Plan.parse(stgPlan(readFileSync(join(dir, graph), 'utf8'), graph)));
    const plan = plans.get(graph) as Plan;
    variants.forEach(([, policy, search], v) => {
      ratios[v].push(simulate(plan, policy, Number(m), undefined, search).makespanMs / (Number(optimal) * 1_000));
    });
  }
  const rows: Rows = variants.map(([name], v) => {
    const r = ratios[v];
    const hits = r.filter((x) => x <= 1 + 1e-9).length;
    return [
      `STG, ${r.length} cases with known optimum: ${name}`,
      `mean ${mean(r).toFixed(4)}x`,
      `worst ${Math.max(...r).toFixed(3)}x`,
      `optimal in ${hits}/${r.length}`,
      v === 0 ? 'mean <= 1.005, worst <= 1.05' : '',
    ];
  });
  for (const [n, target] of [
    [1_000, '<= 200 ms'],
    [20_000, '<= 2 s'],
  ] as const) {
    const plan = randomDag(7, n, 8);
    const g = buildGraph(plan);
    const t0 = performance.now();
    const found = searchPriority(g, 8, prioritySeed(plan));
    const ms = performance.now() - t0;
    rows.push([
      `critical-path search, random DAG of ${n} tasks, M=8`,
      `${ms.toFixed(0)} ms`,
      `${found.tries} tries`,
      `${(found.makespanMs / found.baseMs).toFixed(4)}x longest-path-first`,
      target,
    ]);
  }
  return rows;
}
