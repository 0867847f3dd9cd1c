import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { searchAttributes } from '../shared';

/**
 * What the server alone knows of a run, for when no worker can answer a query (a redeploy, a crash):
 * ptq's search attributes (status, tasks done of total) and the child workflows still running.
 */
export interface ServerView {
  status: string;
  plan: string | null;
  total: number | null;
  done: number | null;
  /** Task ids of the run's running child workflows. */
  running: string[];
  /** Why the live view is missing, in one line. */
  why: string;
}

/** Whether any worker polls the task queue for workflow tasks: without one, a query cannot be answered. */
export async function workflowPollers(client: Client, taskQueue: string): Promise<number> {
  const r = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return r.pollers?.length ?? 0;
}

/**
 * A run's status from its description or listing alone: ptq's own (the search attribute) where it
 * holds, else Temporal's. A run terminated from outside never got to update the attribute from
 * "running", so an ended execution's attribute saying "running" is stale.
 */
export function runStatusOf(description: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes'>): string {
  const status = description.typedSearchAttributes.get(searchAttributes.status);
  const running = description.status.name === 'RUNNING';
  return status && (running || status !== 'running') ? status : description.status.name.toLowerCase();
}

/** The server's view of a run, from its description. */
export function serverView(description: WorkflowExecutionDescription, why: string): ServerView {
  const attrs = description.typedSearchAttributes;
  const prefix = `${description.workflowId}/`;
  return {
    status: runStatusOf(description),
    plan: attrs.get(searchAttributes.plan) ?? null,
    total: attrs.get(searchAttributes.total) ?? null,
    done: attrs.get(searchAttributes.done) ?? null,
    running: (description.raw.pendingChildren ?? [])
      .map((c) => c.workflowId ?? '')
      .filter((w) => w.startsWith(prefix))
      .map((w) => w.slice(prefix.length)),
    why,
  };
}
