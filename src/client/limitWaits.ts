import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { taskWorkflowId } from '../shared';

const LIMIT_QUEUE_PREFIX = 'ptq-limit-';
const SCHEDULED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;

/** A pending activity as DescribeWorkflowExecution lists it (only the fields read here). */
interface Pending {
  state?: temporal.api.enums.v1.PendingActivityState | null;
  activityOptions?: { taskQueue?: { name?: string | null } | null } | null;
}

/**
 * Steps waiting on a rate limit: activities scheduled on a limit's queue and not started yet.
 * Only the server knows (the workflow cannot tell a step waiting for its rate from one running),
 * so `ptq status` asks it for the run and for each running task's workflow.
 */
export function limitWaitsOf(pending: Pending[]): Record<string, number> {
  const waits: Record<string, number> = {};
  for (const p of pending) {
    const queue = p.activityOptions?.taskQueue?.name ?? '';
    if (p.state !== SCHEDULED || !queue.startsWith(LIMIT_QUEUE_PREFIX)) continue;
    const name = queue.slice(LIMIT_QUEUE_PREFIX.length);
    waits[name] = (waits[name] ?? 0) + 1;
  }
  return waits;
}

/** Lines like `fetch: 37 steps waiting for api`, for the run's inline steps and each running task. */
export async function limitWaitLines(client: Client, runId: string, running: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const [label, workflowId] of [
    ['inline steps', runId],
    ...running.map((id) => [id, taskWorkflowId(runId, id)]),
  ]) {
    const described = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    const waits = limitWaitsOf(described?.raw.pendingActivities ?? []);
    for (const [name, n] of Object.entries(waits))
      lines.push(`${label}: ${n} ${n === 1 ? 'step' : 'steps'} waiting for ${name}`);
  }
  return lines;
}
