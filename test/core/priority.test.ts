import {
  buildGraph,
  listMakespan,
  nodesWithinGain,
  Plan,
  Scheduler,
  SEARCH_STEP_MS,
  searchPriority,
  simulate,
  type PlanInput,
} from '../../src/core';

/** A seeded random DAG of `n` tasks with estimates of 1..9 s. */
function dag(seed: number, n: number): Plan {
  let a = seed;
  const random = () => (a = (a * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const tasks: PlanInput['tasks'] = Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    estimate: (1 + Math.floor(random() * 9)) * 1_000,
    dependsOn: Array.from({ length: i }, (_, j) => `t${j}`).filter(() => random() < 0.3),
    run: { type: 'sleep' as const, duration: 0 },
  }));
  return Plan.parse({ name: `dag-${seed}`, tasks });
}

/** The shortest list schedule over every priority order: all n! permutations (Heap's algorithm). */
function bestListMakespan(plan: Plan, m: number): number {
  const g = buildGraph(plan);
  const rank = g.ids.map((_, i) => i);
  let best = listMakespan(g, rank, m);
  const c = new Array<number>(rank.length).fill(0);
  for (let i = 0; i < rank.length;) {
    if (c[i] < i) {
      const j = i % 2 === 0 ? 0 : c[i];
      [rank[j], rank[i]] = [rank[i], rank[j]];
      best = Math.min(best, listMakespan(g, rank, m));
      c[i]++;
      i = 0;
    } else c[i++] = 0;
  }
  return best;
}

describe('the critical-path order search', () => {
  const cases = Array.from({ length: 24 }, (_, k) => ({ seed: k + 1, m: 2 + (k % 2) }));

  it('finds the best list schedule that brute force over all 8! orders finds, on 24 small DAGs', () => {
    let improved = 0;
    for (const { seed, m } of cases) {
      const plan = dag(seed, 8);
      const g = buildGraph(plan);
      const found = searchPriority(g, m, plan.name);
      const best = bestListMakespan(plan, m);
      expect([seed, m, found.makespanMs]).toEqual([seed, m, best]);
      expect(found.makespanMs).toBeGreaterThanOrEqual(found.boundMs);
      expect(found.makespanMs).toBeLessThanOrEqual(found.baseMs);
      // The list it returns gives that schedule.
      expect(listMakespan(g, found.rank, m)).toBe(found.makespanMs);
      if (found.makespanMs < found.baseMs) improved++;
    }
    // Longest-path-first is not optimal on some of them, so the search had something to find.
    expect(improved).toBeGreaterThan(0);
  });

  it('is what the scheduler follows: a simulated run ends when the search said', () => {
    for (const { seed, m } of cases) {
      const plan = dag(seed, 8);
      const found = searchPriority(buildGraph(plan), m, plan.name);
      expect(simulate(plan, 'critical-path', m, undefined, 'list').makespanMs).toBe(found.makespanMs);
      expect(simulate(plan, 'critical-path', m, undefined, 'none').makespanMs).toBe(found.baseMs);
      // A planned schedule is only kept when it is shorter still.
      expect(simulate(plan, 'critical-path', m).makespanMs).toBeLessThanOrEqual(found.makespanMs);
    }
  });

  it('is deterministic for a seed, and kept in the state only when it beats longest-path-first', () => {
    for (const { seed, m } of cases) {
      const plan = dag(seed, 8);
      const g = buildGraph(plan);
      expect(searchPriority(g, m, 'run-1').rank).toEqual(searchPriority(g, m, 'run-1').rank);
      const s = Scheduler.create(plan, { maxConcurrency: m, prioritySeed: plan.name });
      const found = searchPriority(g, m, plan.name);
      expect(s.state.rank).toEqual(found.makespanMs < found.baseMs ? found.rank : undefined);
    }
  });

  it('still reacts to real durations: a task that runs long does not hold up independent work', () => {
    const plan = Plan.parse({
      name: 'react',
      maxConcurrency: 2,
      tasks: [
        { id: 'long', estimate: 1_000, run: { type: 'sleep', duration: 0 } },
        { id: 'after', estimate: 1_000, dependsOn: ['long'], run: { type: 'sleep', duration: 0 } },
        { id: 'a', estimate: 1_000, run: { type: 'sleep', duration: 0 } },
        { id: 'b', estimate: 1_000, run: { type: 'sleep', duration: 0 } },
      ],
    });
    // `long` takes 10 s instead of 1 s: a and b run one after the other beside it.
    const r = simulate(plan, 'critical-path', 2, { long: 10_000 });
    expect(r.makespanMs).toBe(11_000);
  });

  it('spends at run start no more than it can win: milliseconds of gain buy no long search', () => {
    for (const seed of [1, 2, 3]) {
      // Like a real job graph: 200 tasks of 0.2-2 s, each after up to two of the ten before it.
      let a = seed;
      const random = () => (a = (a * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
      const tasks = Array.from({ length: 200 }, (_, i) => ({
        id: `t${i}`,
        estimate: 200 + Math.floor(random() * 1_800),
        dependsOn: [
          ...new Set(
            [random(), random()]
              .filter((r) => r < 0.6 && i > 0)
              .map((r) => `t${Math.max(0, i - 1 - Math.floor(r * 16))}`),
          ),
        ],
        run: { type: 'sleep' as const, duration: 0 },
      }));
      const plan = Plan.parse({ name: `jobs-${seed}`, tasks });
      const g = buildGraph(plan);
      const stepsPerTry = g.ids.length + g.deps.reduce((sum, d) => sum + d.length, 0) + 1;
      const fixed = searchPriority(g, 8, 'run-1');
      const paid = searchPriority(g, 8, 'run-1', true);
      // Without the limit, the search costs more than all it could win...
      expect(fixed.tries * stepsPerTry * SEARCH_STEP_MS).toBeGreaterThan(fixed.baseMs - fixed.boundMs);
      // ...with it, every try but the last was paid for by what was left to win (checked before each).
      expect(Math.max(0, paid.tries - 1) * stepsPerTry * SEARCH_STEP_MS).toBeLessThan(paid.baseMs - paid.boundMs);
      expect(paid.makespanMs).toBeLessThanOrEqual(paid.baseMs);
      // The same graph in minutes instead of seconds has enough to win: the same search as without the limit.
      const slow = buildGraph(Plan.parse({ ...plan, tasks: tasks.map((t) => ({ ...t, estimate: t.estimate * 60 })) }));
      expect(searchPriority(slow, 8, 'run-1', true)).toEqual(searchPriority(slow, 8, 'run-1'));
    }
  });

  it('starts no planned-schedule search that cannot pay for itself', () => {
    const g = buildGraph(dag(1, 100));
    // A node costs about a step per task: what 1 ms can buy finds nothing worth starting for.
    expect(nodesWithinGain(g, 1)).toBe(0);
    expect(nodesWithinGain(g, 5) * 100 * SEARCH_STEP_MS).toBeLessThanOrEqual(5);
    expect(nodesWithinGain(g, 60_000)).toBe(10_000); // the fixed budget for 100 tasks
  });
});
