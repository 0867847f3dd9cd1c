import { CancellationScope, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { BuiltinActivities, StopTasksInput } from '../activities';

/** Best effort and idempotent: what it misses still stops on its next heartbeat. */
const { stopTasks } = proxyLocalActivities<BuiltinActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * After cancelling scopes: stops their programs in this worker at once (activities/localCancel.ts),
 * not on their next heartbeat. Not cancellable, so it also runs while the workflow is being
 * cancelled; not awaited, so the workflow goes on meanwhile.
 *
 * A workflow task that runs a local activity completes only once it is done, so the activities'
 * cancel requests would reach the server after their programs were stopped: a worker killed in
 * between left a stopped step that Temporal, never told of the cancel, retried on its heartbeat
 * timeout. With `ownActivities` (the steps are this workflow's activities), a 1 ms timer first ends
 * this workflow task with the cancels recorded; the stop runs in the next one, a round trip later.
 * Child workflows' steps are stopped at once: their cancels are recorded by the children, whose
 * workflow tasks queue behind this one, and waiting for them cost a second at M=50.
 */
export function stopLocally(input: StopTasksInput, ownActivities: boolean): void {
  CancellationScope.nonCancellable(async () => {
    if (ownActivities) await sleep(1);
    await stopTasks(input);
  }).catch(() => undefined);
}
