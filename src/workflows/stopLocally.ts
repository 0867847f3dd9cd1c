import { CancellationScope, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { BuiltinActivities, StopTasksInput } from '../activities';

/** Best effort and idempotent: what it misses still stops on its next heartbeat. */
const { stopTasks } = proxyLocalActivities<BuiltinActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** Workflows from before the worker-local cancel replay without its local activity. */
const LOCAL_CANCEL_PATCH = 'local-cancel';

/**
 * After cancelling scopes: stops their programs in this worker at once (activities/localCancel.ts),
 * not on their next heartbeat. Not cancellable, so it also runs while the workflow is being
 * cancelled; not awaited, so the workflow goes on meanwhile.
 */
export function stopLocally(input: StopTasksInput): void {
  if (!patched(LOCAL_CANCEL_PATCH)) return;
  CancellationScope.nonCancellable(() => stopTasks(input)).catch(() => undefined);
}
