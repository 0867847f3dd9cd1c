import { buildGraph } from '../../src/core';
import { scheduleFits } from '../../bench/stgExact';
import { dag, optimum } from '../support/schedules';

// The STG bench calls published optima wrong on the word of this solver: it must agree with brute force.
describe("the bench's exact check (HiGHS on a time-indexed model)", () => {
  it('says a schedule fits at the brute-force optimum and none fits one step below, on 20 small DAGs', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const m = 2 + (seed % 2);
      const g = buildGraph(dag(seed, 7 + (seed % 3)));
      const best = optimum(g, m);
      expect([seed, await scheduleFits(g, m, best, 30)]).toEqual([seed, 'yes']);
      expect([seed, await scheduleFits(g, m, best - 1_000, 30)]).toEqual([seed, 'no']);
    }
  });
});
