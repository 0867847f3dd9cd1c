import type { PlanInput } from '../src/core';

/**
 * Reads the Standard Task Graph Set format (Tobita & Kasahara, J. Scheduling 5(5), 2002): line 1
 * is the number of real tasks n, then n + 2 lines `id time npred preds...`, the first and last
 * being dummy entry and exit tasks of time 0; `#` lines after them are comments. Each task becomes
 * a sleep of `time` seconds with that estimate, so `ptq simulate` and the bench can schedule it.
 */
export function stgPlan(text: string, name: string): PlanInput {
  const rows = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/).map(Number));
  const n = rows[0]?.[0];
  if (!Number.isInteger(n) || rows.length < n + 3)
    throw new Error(`${name}: not an STG file (line 1 must be the task count)`);
  const tasks = rows.slice(1, n + 3).map((r, k) => {
    const [id, time, npred, ...preds] = r;
    if (id !== k || preds.length < npred || !(time >= 0))
      throw new Error(`${name}: task line ${k + 2} must be "id time npred preds..." with id ${k}`);
    return {
      id: `t${id}`,
      estimate: time * 1_000,
      dependsOn: preds.slice(0, npred).map((p) => `t${p}`),
      run: { type: 'sleep' as const, duration: time * 1_000 },
    };
  });
  return { name, tasks };
}
