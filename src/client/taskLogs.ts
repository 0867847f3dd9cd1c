import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { LiveOutput } from '../core';
import { taskWorkflowId } from '../shared';

// Where a task's output is while it runs and after it was cancelled. Running steps report their
// recent output in their heartbeats (see `superviseProgram`), which the server keeps with the
// pending activity: in the run itself for inline tasks, in the task's own workflow for child tasks.

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** Most child task workflows described per call: reading logs must not load the server like a worker. */
const MAX_LOOKUPS = 40;

/** A running step's output from its pending activity's heartbeat details; undefined for other activities. */
export async function heartbeatOutput(client: Client, payloads: Payloads): Promise<LiveOutput | undefined> {
  if (!payloads?.payloads?.length) return undefined;
  const value = await decodeFromPayloadsAtIndex<unknown>(client.options.loadedDataConverter, 0, payloads.payloads);
  const live = value as LiveOutput | undefined;
  return live && typeof live.task === 'string' && typeof live.tail === 'string' ? live : undefined;
}

/** The live output of the running tasks among `tasks`, by task id. */
export async function liveOutputs(client: Client, runId: string, tasks: string[]): Promise<Map<string, LiveOutput>> {
  const found = new Map<string, LiveOutput>();
  const wanted = new Set(tasks);
  const run = await client.workflow
    .getHandle(runId)
    .describe()
    .catch(() => undefined);
  for (const a of run?.raw.pendingActivities ?? []) {
    const live = await heartbeatOutput(client, a.heartbeatDetails);
    if (live && wanted.has(live.task)) found.set(live.task, live);
  }
  const children = tasks.filter((t) => !found.has(t)).slice(0, MAX_LOOKUPS);
  await Promise.all(
    children.map(async (task) => {
      const d = await client.workflow
        .getHandle(taskWorkflowId(runId, task))
        .describe()
        .catch(() => undefined);
      const live = await heartbeatOutput(client, d?.raw.pendingActivities?.[0]?.heartbeatDetails);
      if (live) found.set(task, live);
    }),
  );
  return found;
}

/**
 * The output a cancelled child task's step had when it was cancelled: the step hands it back with
 * its cancellation, which the task's own history keeps. Inline tasks have it in their summary.
 */
export async function cancelledOutput(client: Client, runId: string, task: string): Promise<string | undefined> {
  const page = await client.workflowService
    .getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId: taskWorkflowId(runId, task) },
      maximumPageSize: 20,
    })
    .catch(() => undefined);
  const details = page?.history?.events?.find((e) => e.activityTaskCanceledEventAttributes)
    ?.activityTaskCanceledEventAttributes?.details;
  if (!details?.payloads?.length) return undefined;
  const d = await decodeFromPayloadsAtIndex<{ output?: unknown }>(
    client.options.loadedDataConverter,
    0,
    details.payloads,
  );
  return typeof d?.output === 'string' ? d.output : undefined;
}
