import type { Client } from '@temporalio/client';
import { taskWorkflowId } from './shared';

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
 * Retries of running child tasks, as they happen. Temporal retries a failed step on the server,
 * so the run's own state only learns of them at the end; the task workflow's pending activity
 * says which attempt runs now and why the last one failed. Each new attempt is reported once.
 * (Inline tasks' steps are activities of the run itself, and are not told apart here.)
 */
export class RetryWatch {
  private readonly seen = new Map<string, Retrying>();

  constructor(
    private readonly client: Client,
    private readonly runId: string,
  ) {}

  async poll(running: string[]): Promise<Retrying[]> {
    const found = await Promise.all(running.slice(0, MAX_LOOKUPS).map((task) => this.lookUp(task)));
    return found.filter((r): r is Retrying => r !== undefined);
  }

  /** "2/3" for a task seen retried, else undefined. */
  attempt(task: string): string | undefined {
    const r = this.seen.get(task);
    return r && `${r.attempt}${r.maxAttempts ? `/${r.maxAttempts}` : ''}`;
  }

  private async lookUp(task: string): Promise<Retrying | undefined> {
    const handle = this.client.workflow.getHandle(taskWorkflowId(this.runId, task));
    const pending = (await handle.describe().catch(() => undefined))?.raw.pendingActivities?.[0];
    const attempt = pending?.attempt ?? 1;
    if (!pending || attempt <= (this.seen.get(task)?.attempt ?? 1)) return undefined;
    const why = (pending.lastFailure?.message ?? '').split('\n')[0];
    const retrying = { task, attempt, maxAttempts: pending.maximumAttempts || null, why };
    this.seen.set(task, retrying);
    return retrying;
  }
}
