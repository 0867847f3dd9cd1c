import type { MapItems } from '../schedule/map';
import type { TaskStatus } from '../schedule/status';
import type { TaskSummary } from './summary';

/** One task of a run as the dashboard draws it: its status and times, no output. */
export interface TaskRow {
  id: string;
  status: TaskStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  worker: string | null;
  /** The first line of its error (failed) or of why it did not run (skipped, cancelled). */
  why: string | null;
  items?: MapItems;
  stop?: string;
  costUsd?: number | null;
}

const WHY_CHARS = 300;

/**
 * A task's summary cut down to what a picture of the run needs. Every task of a 5,000-task run
 * fits in one answer this way, where whole summaries (with outputs) would not.
 */
export function taskRow(t: TaskSummary): TaskRow {
  const why = t.status === 'failed' ? t.error : t.reason;
  return {
    id: t.id,
    status: t.status,
    attempts: t.attempts,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
    worker: t.worker,
    why: why ? why.split('\n')[0].slice(0, WHY_CHARS) : null,
    ...(t.items ? { items: t.items } : {}),
    ...(t.stop ? { stop: t.stop } : {}),
    ...(t.usage ? { costUsd: t.usage.costUsd } : {}),
  };
}
