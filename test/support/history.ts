import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { GzipCodec } from '../../src/temporal/codec';

/**
 * Everything a run's histories hold, as text: the run's own and every child's, with gzipped
 * payloads decoded, so a test can say that a value appears nowhere in them.
 */
export async function allHistoryText(client: Client, runId: string): Promise<string> {
  const ids = [runId];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}/'` })) ids.push(wf.workflowId);
  const texts: string[] = [];
  for (const id of ids) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    texts.push(JSON.stringify(history));
    for (const payload of payloadsIn(history)) {
      const [decoded] = await new GzipCodec().decode([payload]);
      texts.push(Buffer.from(decoded.data ?? []).toString('utf8'));
    }
  }
  return texts.join('\n');
}

/** Every object in a history that looks like a payload. */
function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object') return out;
  const v = value as Record<string, unknown>;
  if (v.metadata && v.data instanceof Uint8Array) out.push(v as Payload);
  for (const child of Object.values(v)) payloadsIn(child, out);
  return out;
}

/** What each local activity of this type returned in a run (codec undone, still payloads), in order. */
export async function localResults(
  client: Client,
  workflowId: string,
  type: string,
  runId?: string,
): Promise<Payload[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const decoded = async (p?: Payload | null) => (p ? (await new GzipCodec().decode([p]))[0] : undefined);
  const json = (p?: Payload) => (p ? JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) : undefined);
  const results: Payload[] = [];
  for (const event of history.events ?? []) {
    const details = event.markerRecordedEventAttributes?.details;
    // A local activity's marker: `data` says which activity it was, `result` what it returned.
    if (json(await decoded(details?.data?.payloads?.[0]))?.activity_type !== type) continue;
    const result = await decoded(details?.result?.payloads?.[0]);
    if (result) results.push(result);
  }
  return results;
}

/** What each `stopTasks` local activity of a run returned: how many programs it stopped, in order. */
export async function localStops(client: Client, workflowId: string): Promise<number[]> {
  const results = await localResults(client, workflowId, 'stopTasks');
  return results.map((p) => JSON.parse(Buffer.from(p.data ?? []).toString('utf8')));
}

/** How the shell steps of a run (and of its children) ended in Temporal: counts per kind of end. */
export async function shellStepEnds(client: Client, runId: string): Promise<Record<string, number>> {
  const ids = [runId];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}/'` })) ids.push(wf.workflowId);
  const ends: Record<string, number> = { scheduled: 0, completed: 0, failed: 0, timedOut: 0, cancelled: 0 };
  for (const id of ids) {
    const shell = new Set<string>();
    for (const e of (await client.workflow.getHandle(id).fetchHistory()).events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'runShell') {
        shell.add(String(e.eventId));
        ends.scheduled++;
      }
      const end = [
        ['completed', e.activityTaskCompletedEventAttributes],
        ['failed', e.activityTaskFailedEventAttributes],
        ['timedOut', e.activityTaskTimedOutEventAttributes],
        ['cancelled', e.activityTaskCanceledEventAttributes],
      ] as const;
      for (const [kind, attrs] of end) if (attrs && shell.has(String(attrs.scheduledEventId))) ends[kind]++;
    }
  }
  return ends;
}

/** A completed step activity of a run (or of its children): the attempt that reported it and what it returned. */
export interface ReportedStep {
  workflowId: string;
  attempt: number;
  result: { attempt: number; worker: string; recovered?: { how: string; attempt: number; worker: string } };
}

/** The results of a run's completed `runShell` activities, decoded, with the attempt that reported each. */
export async function reportedSteps(client: Client, runId: string): Promise<ReportedStep[]> {
  const ids = [runId];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}/'` })) ids.push(wf.workflowId);
  const steps: ReportedStep[] = [];
  for (const workflowId of ids) {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const started = new Map<string, number>();
    const shell = new Set<string>();
    for (const e of events) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'runShell') shell.add(String(e.eventId));
      const s = e.activityTaskStartedEventAttributes;
      if (s) started.set(String(e.eventId), s.attempt ?? 0);
      const done = e.activityTaskCompletedEventAttributes;
      if (!done || !shell.has(String(done.scheduledEventId))) continue;
      const [payload] = await new GzipCodec().decode([done.result?.payloads?.[0] ?? {}]);
      const result = JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as ReportedStep['result'];
      steps.push({ workflowId, attempt: started.get(String(done.startedEventId)) ?? 0, result });
    }
  }
  return steps;
}

/** How many step results the workers sharing `dataDir` (their PTQ_DATA_DIR) have journaled. */
export function journalEntries(dataDir: string): number {
  const dir = join(dataDir, 'steps');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).length : 0;
}
