import type { Client } from '@temporalio/client';
import { COST_MEMO, RETRY_OF_MEMO, RUN_WORKFLOW_TYPES, searchAttributes } from '../shared';
import { runStatusOf } from './serverView';

/** Statuses a run can be listed by; `completed` is another name for `succeeded`. */
export const LIST_STATUSES = ['running', 'completed', 'succeeded', 'failed', 'cancelled', 'terminated'] as const;

/**
 * The visibility query for a status. ptq's attribute says how the run's code ended it; "running"
 * also needs a running execution (a run terminated from outside keeps the attribute), and
 * "terminated" is Temporal's own status, since ptq's code never saw it.
 */
function statusQuery(status: (typeof LIST_STATUSES)[number] | undefined): string {
  switch (status) {
    case undefined:
      return '';
    case 'running':
      return ` AND PtqStatus = 'running' AND ExecutionStatus = 'Running'`;
    case 'terminated':
      return ` AND ExecutionStatus = 'Terminated'`;
    case 'completed':
      return ` AND PtqStatus = 'succeeded'`;
    default:
      return ` AND PtqStatus = '${status}'`;
  }
}

/** One run as `ptq list --json` and `GET /runs` show it. */
export interface RunListing {
  id: string;
  status: string;
  plan: string | null;
  done: number | null;
  total: number | null;
  startedAt: string;
  closedAt: string | null;
  durationMs: number;
  costUsd: number | null;
  /** The run this one retried (`ptq retry`), else null. */
  retryOf: string | null;
}

/** Recent runs, newest first, found through ptq's search attributes (so from the server alone). */
export async function listRuns(
  client: Client,
  filter: { status?: (typeof LIST_STATUSES)[number]; plan?: string; limit: number },
): Promise<RunListing[]> {
  const plan = filter.plan === undefined ? '' : ` AND PtqPlan = "${filter.plan.replace(/["\\]/g, '\\$&')}"`;
  const types = RUN_WORKFLOW_TYPES.map((type) => `WorkflowType = '${type}'`).join(' OR ');
  const query = `(${types})${statusQuery(filter.status)}${plan}`;
  const runs: RunListing[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: filter.limit })) {
    const sa = wf.typedSearchAttributes;
    runs.push({
      id: wf.workflowId,
      status: runStatusOf(wf),
      plan: sa.get(searchAttributes.plan) ?? null,
      done: sa.get(searchAttributes.done) ?? null,
      total: sa.get(searchAttributes.total) ?? null,
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString() ?? null,
      durationMs: (wf.closeTime?.getTime() ?? Date.now()) - wf.startTime.getTime(),
      costUsd: typeof wf.memo?.[COST_MEMO] === 'number' ? wf.memo[COST_MEMO] : null,
      retryOf: typeof wf.memo?.[RETRY_OF_MEMO] === 'string' ? wf.memo[RETRY_OF_MEMO] : null,
    });
    if (runs.length >= filter.limit) break;
  }
  return runs;
}
