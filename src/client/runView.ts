import type { Client, WorkflowHandle } from '@temporalio/client';
import { runGraph, taskRow, unseen, type Plan, type RunGraph, type TaskRow } from '../core';
import { NotFoundError, ExitCode } from '../errors';
import { planQuery, taskRowsQuery } from '../shared';
import { inputOfExecution, planOfInput } from '../temporal/planSource';
import { describedRun, findTask } from './control';
import { summaryOf } from './summaryOf';
import { cancelledOutput, liveOutputs } from './taskLogs';
import type { ptqRun } from '../workflows';

// What the dashboard reads of a run, beside the API's progress and summary: the plan as a graph,
// every task's status and times, and one task's output as `ptq logs -f` reads it.

const QUERY_WAIT_MS = 5_000;

/**
 * The plan a run executes: from the input of its latest execution, or of the execution that holds
 * it (the server alone, so an ended run needs no worker to replay it), else, for a run the AI
 * planner planned, from the run itself.
 */
export async function planOfRun(client: Client, handle: WorkflowHandle<typeof ptqRun>): Promise<Plan | null> {
  const input = await inputOfExecution(client, handle.workflowId);
  const plan = await planOfInput(client, handle.workflowId, input);
  if (plan) return plan;
  return client.withDeadline(Date.now() + QUERY_WAIT_MS, () => handle.query(planQuery)).catch(() => null);
}

/** Every task's row: live from a running run (empty when no worker answers), from the summary of an ended one. */
export async function taskRowsOf(client: Client, id: string): Promise<{ running: boolean; tasks: TaskRow[] }> {
  const { handle, description } = await describedRun(client, id);
  if (description.status.name === 'RUNNING') {
    const tasks = await client
      .withDeadline(Date.now() + QUERY_WAIT_MS, () => handle.query(taskRowsQuery))
      .catch(() => [] as TaskRow[]);
    return { running: true, tasks };
  }
  const summary = await summaryOf(handle).catch(() => undefined);
  return { running: false, tasks: summary?.tasks.map(taskRow) ?? [] };
}

/** The run's plan as a graph, with measured durations where tasks ended; null while it is still being planned. */
export async function graphOfRun(client: Client, id: string): Promise<RunGraph | null> {
  const { handle } = await describedRun(client, id);
  const plan = await planOfRun(client, handle);
  if (!plan) return null;
  const { tasks } = await taskRowsOf(client, id);
  const measured = Object.fromEntries(
    tasks.map((t) => [t.id, t.startedAt && t.endedAt ? Date.parse(t.endedAt) - Date.parse(t.startedAt) : null]),
  );
  return runGraph(plan, measured);
}

/** A task's output past `offset`: what a running step wrote (its live tail), or an ended task's output. */
export interface TaskLog {
  status: string;
  /** True while the task runs: ask again from `offset`. */
  live: boolean;
  text: string;
  offset: number;
}

/** The same source as `ptq logs -f`: the running step's heartbeat tail, then the task's final output. */
export async function taskLog(client: Client, id: string, task: string, offset: number): Promise<TaskLog> {
  const found = await findTask(client, `${id}/${task}`);
  if (!found) throw new NotFoundError(`no run with id "${id}"`, ExitCode.usage, 'see `ptq list`');
  if (found.status === 'running') {
    const live = (await liveOutputs(client, id, [task])).get(task);
    return live
      ? { status: found.status, live: true, text: unseen(live, offset), offset: live.offset }
      : { status: found.status, live: true, text: '', offset };
  }
  const output = found.output || (found.status === 'cancelled' ? await cancelledOutput(client, id, task) : undefined);
  return { status: found.status, live: false, text: output ?? '', offset: 0 };
}
