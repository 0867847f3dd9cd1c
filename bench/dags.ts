import { Plan, type PlanInput } from '../src/core';

/** A small seeded PRNG (mulberry32), so every benchmark and test DAG can be reproduced. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heavy-tailed durations between min and max (Pareto, shape 1.2): most short, a few long. */
export function heavyTailed(random: () => number, minMs = 200, maxMs = 2000): number {
  return Math.round(Math.min(maxMs, minMs * Math.pow(1 - random(), -1 / 1.2)));
}

/**
 * A random DAG of sleep tasks: each task depends on up to `maxDeps` earlier ones, mostly recent
 * ones, which gives chains of varying length with fan-in and fan-out, like real job graphs.
 */
export function randomDag(seed: number, n: number, maxConcurrency: number, maxDeps = 3): Plan {
  const random = rng(seed);
  const tasks: PlanInput['tasks'] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const k = i === 0 ? 0 : Math.floor(random() * (maxDeps + 1));
    for (let j = 0; j < k; j++) deps.add(`t${Math.max(0, i - 1 - Math.floor(random() * Math.min(i, 20)))}`);
    const ms = heavyTailed(random);
    tasks.push({ id: `t${i}`, dependsOn: [...deps], estimate: ms, run: { type: 'sleep', duration: ms } });
  }
  return Plan.parse({ name: `random-${seed}`, maxConcurrency, tasks });
}
