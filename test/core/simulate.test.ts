import { buildGraph, lowerBoundMs, Plan, simulate } from '../../src/core';
import { randomDag } from '../../bench/dags';

describe('virtual-time simulator', () => {
  it('never beats the lower bound and matches it on a chain', () => {
    const plan = randomDag(1, 50, 4, 1);
    for (const policy of ['critical-path', 'fifo', 'levels'] as const) {
      const r = simulate(plan, policy, 4);
      expect(r.makespanMs).toBeGreaterThanOrEqual(r.lowerBoundMs);
    }
    const chain = Plan.parse({
      maxConcurrency: 4,
      tasks: [100, 200, 300].map((ms, i) => ({
        id: `c${i}`,
        dependsOn: i ? [`c${i - 1}`] : [],
        estimate: ms,
        run: { type: 'sleep', duration: ms },
      })),
    });
    expect(simulate(chain, 'critical-path')).toMatchObject({ makespanMs: 600, lowerBoundMs: 600, ratio: 1 });
  });

  it('critical-path is never worse than levels on random DAGs', () => {
    let sumCp = 0;
    let sumLevels = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const plan = randomDag(seed, 60, 4 + (seed % 5));
      const cp = simulate(plan, 'critical-path');
      const lv = simulate(plan, 'levels');
      expect(cp.makespanMs).toBeLessThanOrEqual(lv.makespanMs);
      sumCp += cp.makespanMs;
      sumLevels += lv.makespanMs;
    }
    expect(sumCp).toBeLessThan(sumLevels);
  });

  it('computes the lower bound as max(critical path, work / M)', () => {
    const plan = randomDag(7, 30, 2);
    const g = buildGraph(plan);
    expect(lowerBoundMs(g, 2)).toBe(Math.max(g.criticalPathMs, g.workMs / 2));
  });

  it('plays levels with finally and a dependency chain to the end, finally last (it stalled before)', () => {
    const plan = Plan.parse({
      policy: 'levels',
      tasks: [
        { id: 'a', run: { type: 'sleep', duration: 1000 } },
        { id: 'b', dependsOn: ['a'], run: { type: 'sleep', duration: 1000 } },
      ],
      finally: [
        { id: 'f', run: { type: 'sleep', duration: 1000 } },
        { id: 'g', dependsOn: ['f'], run: { type: 'sleep', duration: 1000 } },
      ],
    });
    expect(simulate(plan, 'levels')).toMatchObject({ makespanMs: 4000, lowerBoundMs: 4000, ratio: 1 });
  });

  it('never shows a lower bound above the schedule, with conditions, runIf failure and finally (200 random DAGs)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const dag = randomDag(seed, 12 + (seed % 20), 1 + (seed % 4));
      const plan = Plan.parse({
        ...dag,
        tasks: dag.tasks.map((t, i) => ({
          ...t,
          ...(i % 3 === 1 && t.dependsOn.length ? { when: `tasks.${t.dependsOn[0]}.output == "x"` } : {}),
          ...(i % 7 === 5 ? { runIf: 'failure' } : {}),
          ...(i % 5 === 4 && !dag.tasks.some((u) => u.dependsOn.includes(t.id)) ? { final: true, dependsOn: [] } : {}),
        })),
      });
      for (const policy of ['critical-path', 'fifo', 'levels'] as const) {
        const r = simulate(plan, policy);
        expect([seed, policy, r.makespanMs >= r.lowerBoundMs]).toEqual([seed, policy, true]);
      }
    }
  });
});
