import type { Client } from '@temporalio/client';
import { COST_MEMO, searchAttributes } from './shared';

/** Statuses a run can be listed by; `completed` is another name for `succeeded`. */
export const LIST_STATUSES = ['running', 'completed', 'succeeded', 'failed', 'cancelled'] as const;

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
}

/** Recent runs, newest first, found through ptq's search attributes (so from the server alone). */
export async function listRuns(
  client: Client,
  filter: { status?: (typeof LIST_STATUSES)[number]; plan?: string; limit: number },
): Promise<RunListing[]> {
  const status = filter.status === 'completed' ? 'succeeded' : filter.status;
  const plan = filter.plan === undefined ? '' : ` AND PtqPlan = "${filter.plan.replace(/["\\]/g, '\\$&')}"`;
  const query = `WorkflowType = 'runPlan'${status ? ` AND PtqStatus = '${status}'` : ''}${plan}`;
  const runs: RunListing[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: filter.limit })) {
    const sa = wf.typedSearchAttributes;
    runs.push({
      id: wf.workflowId,
      status: sa.get(searchAttributes.status) ?? wf.status.name.toLowerCase(),
      plan: sa.get(searchAttributes.plan) ?? null,
      done: sa.get(searchAttributes.done) ?? null,
      total: sa.get(searchAttributes.total) ?? null,
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString() ?? null,
      durationMs: (wf.closeTime?.getTime() ?? Date.now()) - wf.startTime.getTime(),
      costUsd: typeof wf.memo?.[COST_MEMO] === 'number' ? wf.memo[COST_MEMO] : null,
    });
    if (runs.length >= filter.limit) break;
  }
  return runs;
}
