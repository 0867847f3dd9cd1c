import { hostname } from 'node:os';
import type { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { retryWaiting } from './stepLease';

/**
 * When a worker gives up on an orphaned step (adoption.ts): as soon as the server says that no
 * retry of it will come to this worker. The watch asks the server every CHECK_MS, while no retry
 * here has adopted the orphan, and gives up when
 *   - the step's workflow is gone or has ended (the run finished, was cancelled or terminated);
 *   - the step is no longer pending, or its cancel was requested;
 *   - a retry started on another worker that does not wait for it (one that shares PTQ_DATA_DIR
 *     waits on the lease and marks itself as waiting: see stepLease.ts).
 * While the server cannot be reached it keeps the orphan: the outage may go on, and the retry comes
 * after it.
 */

const CHECK_MS = 2_000;
const NOT_FOUND = 5;
const { PendingActivityState, WorkflowExecutionStatus } = temporal.api.enums.v1;

/** The identity the SDK gives this worker by default, as the server reports it for a started activity. */
const workerIdentity = `${process.pid}@${hostname()}`;

/** How an orphan's watch reads and ends it. */
export interface Orphan {
  /** False once the orphan has ended: the watch stops. */
  running: () => boolean;
  /** True while a retry in this worker waits for it: nothing to check. */
  adopted: () => boolean;
  giveUp: () => void;
}

/** Checks every CHECK_MS whether the orphan of `ctx`'s attempt of step `key` is still wanted; gives up when not. */
export async function watchOrphan(ctx: Context, key: string, orphan: Orphan): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, CHECK_MS).unref());
    if (!orphan.running()) return;
    if (orphan.adopted()) continue;
    const why = await whyGiveUp(ctx, key);
    if (why) {
      ctx.log.warn(`giving up the orphaned step: ${why}; its processes are killed`);
      return orphan.giveUp();
    }
  }
}

/** Why no retry will come for the orphan, or undefined while one may (or the server cannot say). */
async function whyGiveUp(ctx: Context, key: string): Promise<string | undefined> {
  const { activityId, workflowExecution, workflowNamespace } = ctx.info;
  let described: temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
  try {
    described = await ctx.client.workflowService.describeWorkflowExecution({
      namespace: workflowNamespace,
      execution: workflowExecution,
    });
  } catch (e) {
    return (e as { code?: number }).code === NOT_FOUND ? 'its workflow is gone' : undefined;
  }
  if (described.workflowExecutionInfo?.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING)
    return 'its workflow has ended';
  const pending = described.pendingActivities?.find((a) => a.activityId === activityId);
  if (!pending) return 'the step is no longer pending';
  if (pending.state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED) return 'its cancel was requested';
  const elsewhere = pending.lastWorkerIdentity && pending.lastWorkerIdentity !== workerIdentity;
  if (pending.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && elsewhere && !retryWaiting(key))
    return `a retry runs it on ${pending.lastWorkerIdentity}`;
  return undefined;
}
