import { CancellationScope, condition, log, proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import { neverRetried } from '../core/failures';
import type { SyncedStatus } from '../activities/statusSync';
import type { StatusSync } from '../core/plan/plan';
import type { TaskStatus } from '../core/schedule/status';

const { syncTaskStatus } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: neverRetried('StatusSyncError') },
});

/** How a task's state in the run reads in TaskMaster; skipped tasks are left as they were. */
const TASKMASTER: Partial<Record<TaskStatus, SyncedStatus>> = {
  running: 'in-progress',
  succeeded: 'done',
  failed: 'pending',
  cancelled: 'pending',
};

/**
 * Writes task status back to the task list a plan came from, on the workflow side: changes are
 * queued and sent in batches, one activity at a time, so two writes never race on the file. A
 * write that fails for good is logged; it never fails the run.
 */
export class StatusWriter {
  private pending: Array<[string, SyncedStatus]> = [];
  private busy = false;

  constructor(private readonly sync: StatusSync) {}

  set(taskId: string, status: TaskStatus): void {
    const synced = TASKMASTER[status];
    if (!synced || !Object.hasOwn(this.sync.taskmaster.tasks, taskId)) return;
    this.pending.push([taskId, synced]);
    if (!this.busy) void this.drain();
  }

  /** Resolves once every change so far is written (before the run ends or continues as new). */
  async flushed(): Promise<void> {
    await condition(() => !this.busy && this.pending.length === 0);
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending.length) {
        const updates = this.pending.splice(0);
        // A cancelled run still records where its tasks ended.
        await CancellationScope.nonCancellable(() => syncTaskStatus({ sync: this.sync, updates })).catch(
          (err: unknown) => log.warn('--sync-status: could not write task status', { error: String(err) }),
        );
      }
    } finally {
      this.busy = false;
    }
  }
}
