import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What each continue-as-new generation of a run costs besides its tasks, in ms (server event times). */
export interface GenerationCosts {
  generations: number;
  /** Median of each generation's first workflow task, started -> completed: its input read, state restored. */
  firstTask: number;
  /** Median of the last workflow task of the generations that continued as new: the carried input written. */
  lastTask: number;
  /** Median from a generation's last task start to its close: the drain before continue-as-new. */
  drain: number;
}

const ms = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/**
 * The per-generation tax of a big run, read from the histories of all its generations: the first
 * workflow task of each (which reads the carried plan and state), the last (which writes them), and
 * the drain (no new task starts while the running ones finish).
 */
export async function generationCosts(client: Client, workflowId: string): Promise<GenerationCosts> {
  const first: number[] = [];
  const last: number[] = [];
  const drain: number[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const events = (await client.workflow.getHandle(workflowId, wf.runId).fetchHistory()).events ?? [];
    const started = events.filter((e) => e.workflowTaskStartedEventAttributes);
    const completed = events.filter((e) => e.workflowTaskCompletedEventAttributes);
    if (started.length && completed.length) first.push(ms(completed[0]) - ms(started[0]));
    const end = events[events.length - 1];
    if (!end?.workflowExecutionContinuedAsNewEventAttributes) continue;
    last.push(ms(completed[completed.length - 1]) - ms(started[started.length - 1]));
    const lastStart = events.filter(
      (e) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes,
    );
    if (lastStart.length) drain.push(ms(end) - ms(lastStart[lastStart.length - 1]));
  }
  return { generations: first.length, firstTask: median(first), lastTask: median(last), drain: median(drain) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}
