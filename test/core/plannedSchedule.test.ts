import { buildGraph, energeticBound, Plan, Scheduler, searchSchedule, simulate } from '../../src/core';
import { dag, needsIdle, optimum, problems } from '../support/schedules';

describe('the planned schedule search', () => {
  const cases = Array.from({ length: 40 }, (_, k) => ({ seed: k + 1, m: 2 + (k % 2), n: 7 + (k % 3) }));

  it('finds the optimum that brute force finds, proves it, and the schedule is valid, on 40 small DAGs', () => {
    for (const { seed, m, n } of cases) {
      const g = buildGraph(dag(seed, n));
      const best = optimum(g, m);
      const found = searchSchedule(g, m, best + 1_000, 1_000_000);
      expect([seed, found.makespanMs, found.boundMs]).toEqual([seed, best, best]);
      expect(problems(g, m, found.start as number[])).toEqual([]);
      expect(energeticBound(g, m, best)).toBeLessThanOrEqual(best);
    }
  });

  it('reports no schedule when nothing beats the upper bound, with what it proved', () => {
    for (const { seed, m, n } of cases.slice(0, 10)) {
      const g = buildGraph(dag(seed, n));
      const best = optimum(g, m);
      const found = searchSchedule(g, m, best, 1_000_000);
      expect(found.start).toBeUndefined();
      expect(found.boundMs).toBe(best);
    }
  });
});

describe('a run that keeps to a planned schedule', () => {
  it('idles a slot on purpose when that is shorter than any list schedule', () => {
    expect(simulate(needsIdle, 'critical-path', 2, undefined, 'list').makespanMs).toBe(12_000);
    expect(simulate(needsIdle, 'critical-path', 2, undefined, 'none').makespanMs).toBe(12_000);
    const planned = simulate(needsIdle, 'critical-path', 2);
    expect(planned).toMatchObject({ makespanMs: 10_000, lowerBoundMs: 10_000, planned: true });
  });

  it('ends no later than planned when tasks take less than their estimates', () => {
    let planned = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const plan = dag(seed, 9, 0.25);
      const exact = simulate(plan, 'critical-path', 2);
      if (!exact.planned) continue;
      planned++;
      const shorter = Object.fromEntries(
        plan.tasks.map((t, i) => [t.id, ((t.estimate as number) * (1 + (i % 3))) / 3]),
      );
      expect(simulate(plan, 'critical-path', 2, shorter).makespanMs).toBeLessThanOrEqual(exact.makespanMs);
      expect(exact.makespanMs).toBeLessThanOrEqual(simulate(plan, 'critical-path', 2, undefined, 'list').makespanMs);
    }
    expect(planned).toBeGreaterThan(0);
  });

  it('always finishes, whatever the real durations, and never beats the lower bound', () => {
    let planned = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const plan = dag(seed, 9, 0.25);
      if (!simulate(plan, 'critical-path', 2).planned) continue;
      planned++;
      // From a fifth of the estimate to five times it; the simulator throws if the queue stalls.
      const real = Object.fromEntries(
        plan.tasks.map((t, i) => [t.id, ((t.estimate as number) * [1, 25, 3, 10, 2][i % 5]) / 5]),
      );
      const r = simulate(plan, 'critical-path', 2, real);
      // The bound for the real durations: their critical path, and their work over two slots.
      const g = buildGraph(Plan.parse({ ...plan, tasks: plan.tasks.map((t) => ({ ...t, estimate: real[t.id] })) }));
      expect(r.makespanMs).toBeGreaterThanOrEqual(Math.max(g.criticalPathMs, g.workMs / 2));
    }
    expect(planned).toBeGreaterThan(0);
  });

  it('drops the plan once a task runs well past its estimate, so ready work starts', () => {
    // b runs long. The plan holds a back for c and d, which wait on b, until b is 1 s past its
    // 2 s estimate: then a starts in the idle slot.
    const s = Scheduler.create(needsIdle, { prioritySeed: 'run-1', planIdle: true });
    expect(s.state.hold).toBe(true);
    expect(s.next(0)).toBe('b');
    s.start('b', 0);
    expect(s.next(0)).toBeUndefined();
    expect(s.holdUntil(0)).toBe(3_000);
    expect(s.next(2_999)).toBeUndefined();
    expect(s.next(3_000)).toBe('a');
    // Played out with b at 60 s, the run is no longer than a list schedule's.
    const late = { b: 60_000 };
    expect(simulate(needsIdle, 'critical-path', 2, late).makespanMs).toBe(68_000);
    expect(simulate(needsIdle, 'critical-path', 2, late, 'list').makespanMs).toBe(68_000);
  });

  it('drops the plan when M changes, and is not used with groups or finally', () => {
    const s = Scheduler.create(needsIdle, { prioritySeed: 'run-1', planIdle: true });
    s.setConcurrency(3);
    expect(s.next(0)).toBe('b');
    s.start('b', 0);
    // Not held back any more: a starts at once.
    expect(s.next(0)).toBe('a');
    const grouped = Plan.parse({
      ...needsIdle,
      groups: { g: { maxConcurrency: 2 } },
      tasks: needsIdle.tasks.map((t) => ({ ...t, group: 'g' })),
    });
    expect(Scheduler.create(grouped, { prioritySeed: 'run-1', planIdle: true }).state.hold).toBeUndefined();
    const withFinally = Plan.parse({
      ...needsIdle,
      tasks: [...needsIdle.tasks, { id: 'z', final: true, run: { type: 'sleep', duration: 0 } }],
    });
    expect(Scheduler.create(withFinally, { prioritySeed: 'run-1', planIdle: true }).state.hold).toBeUndefined();
  });
});
