import { taskWorkflowId } from '../shared';

/**
 * A cancel reaches a running activity only in the answer to its next heartbeat, and the worker
 * lets one heartbeat through per throttle interval (HEARTBEAT_THROTTLE): up to a second before a
 * cancelled step's processes die. Beating faster costs the server CPU for every running step.
 *
 * The worker that runs a run's workflow hears of the cancel first, so it can act at once: the
 * workflow calls `stopTasks` as a local activity, which stops the programs of those tasks that run
 * in this worker. Programs in other workers still stop on their next heartbeat.
 *
 * A program stopped here must not end its activity before Temporal has the activity's cancel
 * request: a failure reported first would be retried, and the step would run again. So a stopped
 * program's activity keeps heartbeating until the real cancel arrives (see superviseProgram).
 */

/** A supervised program running in this worker, by the workflow and task it runs for. */
interface Running {
  workflowId: string;
  task?: string;
  stop: () => void;
}

const running = new Set<Running>();

/** Lists a running program; call the returned function once it has exited. */
export function registerProgram(entry: Running): () => void {
  running.add(entry);
  return () => running.delete(entry);
}

/** Which programs to stop: those of a workflow and the workflows under it, or of some of its tasks. */
export interface StopTasksInput {
  workflowId: string;
  /** Only these tasks of a run: their inline steps and their child workflows (ids under `run/task`). */
  tasks?: string[];
}

/** Local activity: stops the programs this worker runs for a workflow or some of its tasks; returns how many. */
export async function stopTasks({ workflowId, tasks }: StopTasksInput): Promise<number> {
  const inline = new Set(tasks);
  const under = tasks ? tasks.map((t) => taskWorkflowId(workflowId, t)) : [workflowId];
  const mine = (p: Running) =>
    (p.workflowId === workflowId && (!tasks || (p.task !== undefined && inline.has(p.task)))) ||
    under.some((id) => p.workflowId === id || p.workflowId.startsWith(`${id}/`));
  let stopped = 0;
  for (const p of running) {
    if (!mine(p)) continue;
    p.stop();
    stopped++;
  }
  return stopped;
}
