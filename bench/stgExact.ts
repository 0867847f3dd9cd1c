import highsLoader from 'highs';
import { earliestStarts, timeStep, type Graph } from '../src/core';

/**
 * Settles what a published table cannot: whether any schedule on `m` slots ends by a target. It
 * asks HiGHS (an open-source MIP solver, here compiled to WebAssembly: `highs` on npm) about a
 * time-indexed model that is independent of ptq's own search, so a wrong table value shows as
 * infeasible and a schedule ptq calls optimal is proven so.
 *
 * The model, in units of the estimates' gcd: y[i][t] = 1 once task i has started by time t, for t in
 * its window [earliest start, latest start). Dependencies: y[j][t] <= y[i][t - p_i]. Slots: at each
 * time u, the tasks started by u and not yet ended, sum of y[i][u] - y[i][u - p_i], are at most m.
 * This "step" form has a much tighter LP relaxation than start-time variables, which is what lets
 * 50- and 100-task cases be settled in seconds.
 */

export type Answer = 'yes' | 'no' | 'unknown';

/** Is there a schedule of makespan <= `targetMs`? 'unknown' when `seconds` ran out first. */
export async function scheduleFits(g: Graph, m: number, targetMs: number, seconds: number): Promise<Answer> {
  const unit = timeStep(g);
  const p = g.estimate.map((x) => Math.round(x / unit));
  const T = Math.floor(targetMs / unit);
  const early = earliestStarts(g).map((x) => Math.round(x / unit));
  const late = g.bottom.map((b) => T - Math.round(b / unit));
  if (late.some((l, i) => l < early[i])) return 'no';
  // y(i, t): 0 before the window, 1 from its end (the task has started by its latest start).
  const y = (i: number, t: number): string | 0 | 1 => (t < early[i] ? 0 : t >= late[i] ? 1 : `y${i}_${t}`);
  const rows: string[] = [];
  const binaries: string[] = [];
  /** sum(coef * y) <= rhs, constants folded in; false when it cannot hold. */
  const atMost = (terms: Array<[number, string | 0 | 1]>, rhs: number): boolean => {
    let k = rhs;
    const vars: string[] = [];
    for (const [c, v] of terms) {
      if (v === 1) k -= c;
      else if (v !== 0) vars.push(`${c < 0 ? '-' : '+'} ${Math.abs(c)} ${v}`);
    }
    if (vars.length === 0) return k >= 0;
    rows.push(` r${rows.length}: ${vars.join(' ')} <= ${k}`);
    return true;
  };
  let ok = true;
  g.ids.forEach((_, i) => {
    for (let t = early[i]; t < late[i]; t++) {
      binaries.push(`y${i}_${t}`);
      if (t > early[i])
        ok &&= atMost(
          [
            [1, y(i, t - 1)],
            [-1, y(i, t)],
          ],
          0,
        );
    }
    for (const d of g.deps[i])
      for (let t = early[i]; t < late[i]; t++)
        ok &&= atMost(
          [
            [1, y(i, t)],
            [-1, y(d, t - p[d])],
          ],
          0,
        );
  });
  for (let u = 0; u < T; u++) {
    const terms: Array<[number, string | 0 | 1]> = [];
    g.ids.forEach((_, i) => {
      if (p[i] === 0 || u < early[i] || u - p[i] + 1 > late[i]) return;
      terms.push([1, y(i, u)], [-1, y(i, u - p[i])]);
    });
    ok &&= atMost(terms, m);
  }
  if (!ok) return 'no';
  const model = [
    'Minimize',
    ' obj: 0 z',
    'Subject To',
    ...rows,
    'Bounds',
    ' 0 <= z <= 0',
    'Binary',
    ...binaries,
    'End',
  ];
  // A fresh solver per question: one instance's memory grows with every model it has read.
  const highs = await highsLoader();
  const { Status } = highs.solve(model.join('\n'), { time_limit: seconds, output_flag: false });
  if (Status === 'Infeasible') return 'no';
  if (Status === 'Optimal') return 'yes';
  return 'unknown';
}

/**
 * The optimum's bounds, between `lowMs` (known) and `highMs` (a schedule of that length exists),
 * within `seconds` in all. Equal bounds mean the optimum is proven.
 *
 * First: is there anything shorter than `highMs`? Most often not, and one answer settles it. If that
 * cannot be answered in a third of the time, or there is, targets are tried up from `lowMs`: near
 * the bound the windows are tight and infeasibility is quick to prove; the first that fits is the
 * optimum.
 */
export async function optimumBetween(
  g: Graph,
  m: number,
  lowMs: number,
  highMs: number,
  seconds: number,
): Promise<{ lowMs: number; highMs: number }> {
  const unit = timeStep(g);
  const deadline = Date.now() + seconds * 1_000;
  const left = () => (deadline - Date.now()) / 1_000;
  let [low, high] = [lowMs, highMs];
  const below = await scheduleFits(g, m, high - unit, seconds / 3);
  if (below === 'no') return { lowMs: high, highMs: high };
  if (below === 'yes') high -= unit;
  while (low < high && left() > 1) {
    const answer = await scheduleFits(g, m, low, left());
    if (answer === 'unknown') break;
    if (answer === 'yes') high = low;
    else low += unit;
  }
  return { lowMs: low, highMs: high };
}
