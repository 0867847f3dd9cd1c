import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { heartbeatOutput } from './taskLogs';
import { taskWorkflowId } from '../shared';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/** A running task's step being tried again. */
export interface Retrying {
  task: string;
  attempt: number;
  maxAttempts: number | null;
  why: string;
}

/** Most running tasks looked up per poll: a watcher must not load the server like a worker. */
const MAX_LOOKUPS = 40;

/**
 * Retries of running tasks, as they happen. Temporal retries a failed step on the server, so the
 * run's own state only learns of them at the end; the step's pending activity says which attempt
 * runs now and why the last one failed. A child task's is in its own workflow; an inline task's is
 * in the run's, named by the task id its heartbeats carry (shell and agent steps). Each new attempt
 * is reported once.
 */
export class RetryWatch {
  private readonly seen = new Map<string, Retrying>();

  constructor(
    private readonly client: Client,
    private readonly runId: string,
  ) {}

  async poll(running: string[]): Promise<Retrying[]> {
    const inline = await this.inlineSteps(new Set(running));
    const children = running.filter((t) => !inline.has(t)).slice(0, MAX_LOOKUPS);
    const found = [
      ...[...inline].map(([task, pending]) => this.seenAttempt(task, pending)),
      ...(await Promise.all(children.map((task) => this.lookUp(task)))),
    ];
    return found.filter((r): r is Retrying => r !== undefined);
  }

  /** The run's own pending activities that are steps of these tasks, by task. */
  private async inlineSteps(running: Set<string>): Promise<Map<string, PendingActivity>> {
    const steps = new Map<string, PendingActivity>();
    const run = await this.client.workflow
      .getHandle(this.runId)
      .describe()
      .catch(() => undefined);
    for (const pending of run?.raw.pendingActivities ?? []) {
      const task = (await heartbeatOutput(this.client, pending.heartbeatDetails))?.task;
      if (task !== undefined && running.has(task)) steps.set(task, pending);
    }
    return steps;
  }

  /** "2/3" for a task seen retried, else undefined. */
  attempt(task: string): string | undefined {
    const r = this.seen.get(task);
    return r && `${r.attempt}${r.maxAttempts ? `/${r.maxAttempts}` : ''}`;
  }

  private async lookUp(task: string): Promise<Retrying | undefined> {
    const handle = this.client.workflow.getHandle(taskWorkflowId(this.runId, task));
    return this.seenAttempt(task, (await handle.describe().catch(() => undefined))?.raw.pendingActivities?.[0]);
  }

  /** A new attempt of the task's step, once. */
  private seenAttempt(task: string, pending: PendingActivity | undefined): Retrying | undefined {
    const attempt = pending?.attempt ?? 1;
    if (!pending || attempt <= (this.seen.get(task)?.attempt ?? 1)) return undefined;
    const why = (pending.lastFailure?.message ?? '').split('\n')[0];
    const retrying = { task, attempt, maxAttempts: pending.maximumAttempts || null, why };
    this.seen.set(task, retrying);
    return retrying;
  }
}
