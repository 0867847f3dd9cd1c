/** Every state a task can be in. Terminal ones never change again. */
export const TASK_STATUSES = ['pending', 'ready', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The outcome of a whole run, as shown in summaries, search attributes and exit codes. */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** True once a task can no longer change. */
export function isTerminal(status: TaskStatus): boolean {
  switch (status) {
    case 'pending':
    case 'ready':
    case 'running':
      return false;
    case 'succeeded':
    case 'failed':
    case 'skipped':
    case 'cancelled':
      return true;
  }
}

/** One counter per status; all zero. */
export function emptyCounts(): Record<TaskStatus, number> {
  return { pending: 0, ready: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
}
