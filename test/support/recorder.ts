import { Context } from '@temporalio/activity';

/** When a task really ran, as seen by the activity on the worker. */
export interface Interval {
  id: string;
  start: number;
  end: number;
}

/**
 * A user activity (`work`) that sleeps for `ms` and records its real start and end, so tests can
 * check concurrency bounds from what actually happened, not from what the scheduler believed.
 */
export function recorder() {
  const intervals: Interval[] = [];
  const work = async (input: unknown): Promise<string> => {
    const { id, ms } = input as { id: string; ms: number };
    const start = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      Context.current().cancellationSignal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('cancelled'));
      });
    });
    intervals.push({ id, start, end: Date.now() });
    return id;
  };
  return { intervals, activities: { work } };
}

/** The most intervals open at any instant, optionally only among ids that pass the filter. */
export function maxOverlap(intervals: Interval[], include: (id: string) => boolean = () => true): number {
  const events = intervals
    .filter((i) => include(i.id))
    .flatMap((i) => [
      [i.start, 1],
      [i.end, -1],
    ])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]); // ends before starts at the same instant
  let open = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (open += delta));
  return max;
}

/** A task that runs the recording activity for `ms`. */
export function workTask(id: string, ms: number, extra: Record<string, unknown> = {}) {
  return { id, run: { type: 'activity' as const, name: 'work', input: { id, ms } }, estimate: ms, ...extra };
}
