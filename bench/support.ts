import type { Client } from '@temporalio/client';

/** What every benchmark suite gets: a client and the task queue of the bench worker. */
export interface BenchContext {
  client: Client;
  /** The bench server's address, for workers started as processes. */
  address: string;
  taskQueue: string;
  quick: boolean;
  /** The dev server's process, whose CPU time some suites measure. */
  serverPid?: number;
}

/** A suite returns rows of the table: benchmark, ptq, baseline, ptq / baseline, target. */
export type Rows = string[][];

interface Stamp {
  start: number;
  end: number;
}
/** When each no-op ran, as seen by the activity on the worker. */
export const stamps = new Map<string, Stamp>();

/** The user activity of no-op tasks and of the bare baselines: it only records when it ran. */
export const noop = async (input: unknown) => {
  const now = Date.now();
  stamps.set((input as { id: string }).id, { start: now, end: now });
  return null;
};

/** A ptq task that runs the no-op activity. */
export const noopTask = (id: string, dependsOn: string[] = []) => ({
  id,
  dependsOn,
  run: { type: 'activity' as const, name: 'noop', input: { id } },
});

/** A table row comparing ptq with its baseline. */
export const ratioRow = (what: string, value: number, base: number, target = '', digits = 1): string[] => [
  what,
  value.toFixed(digits),
  base.toFixed(digits),
  (value / Math.max(base, 1e-9)).toFixed(2),
  target,
];

export const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Predecessor's activity end to successor's activity start, from stamps taken on the worker. */
export function gaps(n: number, prefix: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < n; i++)
    out.push((stamps.get(`${prefix}${i}`)?.start ?? NaN) - (stamps.get(`${prefix}${i - 1}`)?.end ?? NaN));
  return out.sort((a, b) => a - b);
}

/** The p-th percentile of sorted numbers. */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
