import { buildGraph, listSchedule, makespanOf, searchJustified, searchPriority, simulate } from '../../src/core';
import { dag, needsIdle, optimum, problems } from '../support/schedules';

describe('forward-backward improvement (justified schedules)', () => {
  const cases = Array.from({ length: 40 }, (_, k) => ({ seed: k + 1, m: 2 + (k % 2), n: 7 + (k % 3) }));

  it('keeps schedules valid, never longer than where it started nor shorter than the optimum', () => {
    let improved = 0;
    for (const { seed, m, n } of cases) {
      const g = buildGraph(dag(seed, n));
      const from = listSchedule(g, g.rank, m);
      const found = searchJustified(g, m, from, 0, `seed-${seed}`, 20_000);
      expect(problems(g, m, found.start)).toEqual([]);
      expect(found.makespanMs).toBe(makespanOf(g, found.start));
      expect(found.makespanMs).toBeLessThanOrEqual(makespanOf(g, from));
      expect(found.makespanMs).toBeGreaterThanOrEqual(optimum(g, m));
      if (found.makespanMs < makespanOf(g, from)) improved++;
    }
    // Longest-path-first is already optimal on most of these; justification must beat it somewhere.
    expect(improved).toBeGreaterThan(0);
  });

  it('pulls work into an idle hole: the schedule no list scheduler finds', () => {
    // The backward pass packs c and d together, the forward pass then runs b alone first: 10 s.
    const g = buildGraph(needsIdle);
    const from = listSchedule(g, g.rank, 2);
    expect(makespanOf(g, from)).toBe(12_000);
    const found = searchJustified(g, 2, from, 0, 'x', 1_000);
    expect(found.makespanMs).toBe(10_000);
    expect(found.start[g.index.b]).toBe(0);
    expect(found.start[g.index.a]).toBeGreaterThanOrEqual(2_000);
  });

  it('is the same for the same seed, spends no more than its steps, and stops at the bound', () => {
    const g = buildGraph(dag(5, 40, 0.1));
    const from = listSchedule(g, searchPriority(g, 3, 's').rank, 3);
    const once = searchJustified(g, 3, from, 0, 'run-1', 50_000);
    expect(searchJustified(g, 3, from, 0, 'run-1', 50_000)).toEqual(once);
    // One try may overrun the budget by its own size (a few passes of about n^2 steps), no more.
    expect(once.steps).toBeLessThan(50_000 + 20 * 40 * 40);
    const atBound = searchJustified(g, 3, from, Number.POSITIVE_INFINITY, 'run-1', 50_000);
    expect(atBound.steps).toBeLessThan(once.steps);
  });
});

describe('a run that follows a planned schedule, justified or searched', () => {
  it('ends no later than the list order and never below the bound, on 45-task DAGs, shorter on some', () => {
    let shorter = 0;
    for (const m of [3, 4])
      for (let seed = 1; seed <= 10; seed++) {
        const plan = dag(seed, 45, 0.2);
        const listed = simulate(plan, 'critical-path', m, undefined, 'list');
        const planned = simulate(plan, 'critical-path', m);
        expect(planned.makespanMs).toBeLessThanOrEqual(listed.makespanMs);
        expect(planned.makespanMs).toBeGreaterThanOrEqual(planned.lowerBoundMs);
        if (planned.makespanMs < listed.makespanMs) shorter++;
      }
    expect(shorter).toBeGreaterThan(0);
  });
});
