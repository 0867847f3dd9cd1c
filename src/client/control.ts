import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Plan, Progress, RunSummary, TaskSummary } from '../core';
import { ExitCode, NotFoundError, PtqError } from '../errors';
import {
  approveUpdate,
  cancelSignal,
  pauseSignal,
  planQuery,
  progressQuery,
  rejectUpdate,
  resumeSignal,
  setConcurrencyUpdate,
  setMaxParallelUpdate,
  mapProgressQuery,
  taskQuery,
  taskWorkflowId,
} from '../shared';
import { runStatusOf, serverView, workflowPollers, type ServerView } from './serverView';
import { summaryOf } from './summaryOf';
import type { ptqRun } from '../workflows';

/** How long a status waits for a worker to answer before showing what the server knows. */
const QUERY_WAIT_MS = 5_000;

// Controlling runs that exist: find, query, signal and update them. Every function turns an
// unknown id or a refused update into a PtqError with one clear line.

/** A handle on an existing run and its description, from one call; a clear message if there is none. */
export async function describedRun(
  client: Client,
  id: string,
): Promise<{ handle: WorkflowHandle<typeof ptqRun>; description: WorkflowExecutionDescription }> {
  const handle = client.workflow.getHandle<typeof ptqRun>(id);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new NotFoundError(`no run with id "${id}"`, ExitCode.usage, 'see `ptq list`');
    throw err;
  }
}

/** A handle on an existing run; fails with a clear message if there is none. */
export async function runHandle(client: Client, id: string): Promise<WorkflowHandle<typeof ptqRun>> {
  return (await describedRun(client, id)).handle;
}

/**
 * Sends an update to a live run. An ended run, or an update the workflow's validator refuses,
 * becomes one clear line instead of an SDK error.
 */
async function updateRun<T>(
  client: Client,
  id: string,
  what: string,
  send: (handle: WorkflowHandle<typeof ptqRun>) => Promise<T>,
): Promise<T> {
  const { handle, description } = await describedRun(client, id);
  if (description.status.name !== 'RUNNING')
    throw new PtqError(`run "${id}" has ended, so there is nothing to ${what}`);
  try {
    return await send(handle);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new PtqError(err.cause?.message ?? err.message);
    throw err;
  }
}

/** Live progress of a run, with the item counts of its running maps. */
export async function getProgress(client: Client, id: string): Promise<Progress> {
  return withMapProgress(client, id, await (await runHandle(client, id)).query(progressQuery));
}

/**
 * Adds each running map's own progress (its workflow answers `mapProgress`), so a map shows as one
 * task with its own bar, not as 100,000 lines. A map that just ended simply has none.
 */
export async function withMapProgress(client: Client, id: string, progress: Progress): Promise<Progress> {
  const running = await Promise.all(
    progress.running.map(async (r) => {
      if (!r.map) return r;
      const items = await client.workflow
        .getHandle(taskWorkflowId(id, r.id))
        .query(mapProgressQuery)
        .catch(() => undefined);
      return items ? { ...r, items } : r;
    }),
  );
  return { ...progress, running };
}

/**
 * `RUN/TASK` split into an existing run and a task name; undefined when `id` is not of that form
 * or RUN is no run (the task's own child workflow has that whole id too, so the run is looked up).
 */
export async function taskOfRun(client: Client, id: string) {
  const slash = id.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const run = id.slice(0, slash);
  const described = await describedRun(client, run).catch(() => undefined);
  return described && { run, task: id.slice(slash + 1), ...described };
}

/**
 * The task `RUN/TASK` names, the id the Web UI shows for a task: live from a running run, from the
 * summary of an ended one. Undefined when `id` is not of that form or no such run exists; a run
 * without that task is one clear error.
 */
export async function findTask(client: Client, id: string): Promise<TaskSummary | undefined> {
  const named = await taskOfRun(client, id);
  if (!named) return undefined;
  const { run, task, handle, description } = named;
  const found =
    description.status.name === 'RUNNING'
      ? await handle.query(taskQuery, task)
      : (await summaryOf(handle)).tasks.find((t) => t.id === task);
  if (!found)
    throw new NotFoundError(`run "${run}" has no task "${task}"`, ExitCode.usage, `see \`ptq status ${run}\``);
  return found;
}

/** Waits for the run to end and returns its summary. */
export async function getResult(client: Client, id: string): Promise<RunSummary> {
  return summaryOf(await runHandle(client, id));
}

/**
 * Asks a run to stop: running tasks are cancelled and their processes killed. A run that already
 * ended is left alone: the answer is how it ended ('succeeded', 'failed', ...), else undefined.
 */
export async function cancelRun(client: Client, id: string, reason?: string): Promise<string | undefined> {
  const { handle, description } = await describedRun(client, id);
  if (description.status.name !== 'RUNNING') return runStatusOf(description);
  // The signal carries the reason (and a second one cancels `finally`); the cancel request makes
  // the run end as a Cancelled execution.
  await handle.signal(cancelSignal, reason);
  await handle.cancel();
  return undefined;
}

/**
 * Ends a run at once on the server, as `temporal workflow terminate` does: no worker is needed and
 * the run's code gets no say (no `finally` tasks, no summary). Its task workflows end with it, and
 * their steps' processes are stopped when their next heartbeat finds the task gone. A run that
 * already ended is left alone: the answer is how it ended, else undefined.
 */
export async function terminateRun(client: Client, id: string, reason?: string): Promise<string | undefined> {
  const { handle, description } = await describedRun(client, id);
  if (description.status.name !== 'RUNNING') return runStatusOf(description);
  try {
    await handle.terminate(reason);
  } catch (err) {
    // It ended between the look and the terminate.
    if (err instanceof WorkflowNotFoundError) return runStatusOf((await describedRun(client, id)).description);
    throw err;
  }
  return undefined;
}

/** Stops starting new tasks; running ones go on. */
export async function pauseRun(client: Client, id: string): Promise<void> {
  await (await runHandle(client, id)).signal(pauseSignal);
}

/** Starts new tasks again. */
export async function resumeRun(client: Client, id: string): Promise<void> {
  await (await runHandle(client, id)).signal(resumeSignal);
}

/** The plan a run is executing (for AI-planned runs: the plan the model made), or null while planning. */
export async function getPlan(client: Client, id: string): Promise<Plan | null> {
  return (await runHandle(client, id)).query(planQuery);
}

/** Approves (or rejects, with a reason) the plan of a run started with `approve`. */
export function decide(client: Client, id: string, approve: boolean, reason = 'rejected'): Promise<string> {
  return updateRun(client, id, approve ? 'approve' : 'reject', (handle) =>
    approve ? handle.executeUpdate(approveUpdate) : handle.executeUpdate(rejectUpdate, { args: [reason] }),
  );
}

/** Changes M of a live run; the workflow validates it and answers with the new value. */
export function setConcurrency(client: Client, id: string, n: number): Promise<number> {
  return updateRun(client, id, 'change', (handle) => handle.executeUpdate(setConcurrencyUpdate, { args: [n] }));
}

/** Changes maxParallel of a running map task of a run. */
export function setMaxParallel(client: Client, id: string, task: string, n: number): Promise<number> {
  const mapId = taskWorkflowId(id, task);
  return updateRun(client, mapId, 'change', (handle) =>
    handle.executeUpdate(setMaxParallelUpdate, { args: [n] }),
  ).catch((err: unknown) => {
    if (err instanceof PtqError && err.message.startsWith(`no run with id`))
      throw new PtqError(`run "${id}" has no running map task "${task}"`, ExitCode.usage, `see \`ptq status ${id}\``);
    throw err;
  });
}

/**
 * Why no worker will run or answer a run on `taskQueue` now, or undefined when one polls it (or
 * the server cannot say): `status` shows it, `watch` says it while it waits.
 */
export async function whyNoWorker(client: Client, taskQueue: string): Promise<string | undefined> {
  const pollers = await workflowPollers(client, taskQueue).catch(() => 1);
  return pollers === 0
    ? `no worker is polling task queue "${taskQueue}": start one with \`ptq worker --task-queue ${taskQueue}\``
    : undefined;
}

/** Why no worker can answer a query on a running run, or undefined (ended runs are answered from their history by any worker). */
function whyNoAnswer(client: Client, d: WorkflowExecutionDescription): Promise<string | undefined> {
  return d.status.name === 'RUNNING' ? whyNoWorker(client, d.taskQueue) : Promise.resolve(undefined);
}

/** Why a run that ended has no progress worth asking for: it was ended from outside, before its code could finish. */
export function endedFromOutside(d: WorkflowExecutionDescription): string | undefined {
  const status = d.status.name;
  return status === 'TERMINATED' || status === 'TIMED_OUT'
    ? `the run was ${status.toLowerCase().replace('_', ' ')} on the server, so it ended without a summary`
    : undefined;
}

/**
 * A run's live progress (with its maps' own) when a worker answers within 5 s, else what the server
 * alone knows and why: `ptq status` and `GET /runs/{id}` must work during a redeploy. A run
 * terminated from outside is shown from the server too: its own state still says "running".
 */
export async function progressOrServerView(
  client: Client,
  handle: WorkflowHandle,
  description: WorkflowExecutionDescription,
): Promise<{ progress: Progress } | { server: ServerView }> {
  const outside = endedFromOutside(description);
  if (outside) return { server: serverView(description, outside) };
  const unanswered = await whyNoAnswer(client, description);
  const answer = unanswered
    ? undefined
    : await client.withDeadline(Date.now() + QUERY_WAIT_MS, () => handle.query(progressQuery)).catch(() => undefined);
  if (!answer) return { server: serverView(description, unanswered ?? 'no worker answered within 5 s') };
  return { progress: await withMapProgress(client, description.workflowId, answer) };
}
