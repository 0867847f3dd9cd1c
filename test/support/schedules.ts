import { Plan, type Graph, type PlanInput } from '../../src/core';

/** Small schedules for the scheduler's searches: random DAGs, their brute-force optimum, a checker. */

/** A seeded random DAG of `n` tasks with estimates of 1..9 s. */
export function dag(seed: number, n: number, edge = 0.3): Plan {
  let a = seed;
  const random = () => (a = (a * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const tasks: PlanInput['tasks'] = Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    estimate: (1 + Math.floor(random() * 9)) * 1_000,
    dependsOn: Array.from({ length: i }, (_, j) => `t${j}`).filter(() => random() < edge),
    run: { type: 'sleep' as const, duration: 0 },
  }));
  return Plan.parse({ name: `dag-${seed}`, tasks });
}

/**
 * The optimum by brute force: every order that respects the dependencies, each task placed at the
 * earliest time its dependencies and a free slot allow. Those schedules include an optimal one.
 */
export function optimum(g: Graph, m: number): number {
  const n = g.ids.length;
  const p = g.estimate;
  const start = new Array<number>(n).fill(-1);
  const placed: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  const busyAt = (t: number) => placed.filter((j) => start[j] <= t && t < start[j] + p[j]).length;
  const fits = (s: number, i: number) =>
    [s, ...placed.map((j) => start[j]).filter((x) => x > s && x < s + p[i])].every((t) => busyAt(t) < m);
  const go = () => {
    if (placed.length === n) {
      best = Math.min(best, Math.max(...placed.map((j) => start[j] + p[j])));
      return;
    }
    for (let i = 0; i < n; i++) {
      if (start[i] >= 0 || !g.deps[i].every((d) => start[d] >= 0)) continue;
      const ready = Math.max(0, ...g.deps[i].map((d) => start[d] + p[d]));
      const candidates = [ready, ...placed.map((j) => start[j] + p[j]).filter((t) => t > ready)].sort((x, y) => x - y);
      start[i] = candidates.find((s) => fits(s, i)) as number;
      placed.push(i);
      go();
      placed.pop();
      start[i] = -1;
    }
  };
  go();
  return best;
}

/** Problems with a schedule: a task before its dependency ends, or more than m at once. */
export function problems(g: Graph, m: number, start: number[]): string[] {
  const p = g.estimate;
  const out: string[] = [];
  g.deps.forEach((ds, i) =>
    ds.forEach((d) => start[d] + p[d] > start[i] && out.push(`${g.ids[i]} before ${g.ids[d]}`)),
  );
  for (const t of start) {
    const busy = start.filter((s, j) => p[j] > 0 && s <= t && t < s + p[j]).length;
    if (busy > m) out.push(`${busy} running at ${t}`);
  }
  return out;
}

/**
 * Two slots. A list scheduler starts a and b at once, so c and d cannot both follow b: 12 s. The
 * optimum runs b alone first, keeping a slot idle for 2 s, then c and d, then e beside a: 10 s.
 */
export const needsIdle = Plan.parse({
  name: 'needs-idle',
  maxConcurrency: 2,
  tasks: [
    { id: 'a', estimate: 4_000 },
    { id: 'b', estimate: 2_000 },
    { id: 'c', estimate: 4_000, dependsOn: ['b'] },
    { id: 'd', estimate: 4_000, dependsOn: ['b'] },
    { id: 'e', estimate: 4_000, dependsOn: ['c', 'd'] },
  ].map((t) => ({ ...t, run: { type: 'sleep' as const, duration: 0 } })),
});
