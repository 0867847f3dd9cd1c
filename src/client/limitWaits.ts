import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Plan } from '../core/plan/plan';
import { planQuery, taskWorkflowId } from '../shared';

const LIMIT_QUEUE_PREFIX = 'ptq-limit-';
const SCHEDULED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;

/** A pending activity as DescribeWorkflowExecution lists it (only the fields read here). */
interface Pending {
  state?: temporal.api.enums.v1.PendingActivityState | null;
  activityOptions?: { taskQueue?: { name?: string | null } | null } | null;
}

/** A running task's steps waiting on one limit; `task` is "inline steps" when no one task is theirs. */
export interface LimitWait {
  task: string;
  limit: string;
  steps: number;
}

/** Most workflows described per look: a watcher must not load the server like a worker. */
const MAX_LOOKUPS = 40;
/** `LimitWatch` looks again after this long at the earliest. */
export const LIMIT_LOOK_MS = 2_000;

/**
 * Steps waiting on a rate limit: activities scheduled on a limit's queue and not started yet.
 * Only the server knows (the workflow cannot tell a step waiting for its rate from one running).
 */
export function limitWaitsOf(pending: Pending[]): Record<string, number> {
  const waits: Record<string, number> = {};
  for (const p of pending) {
    const queue = p.activityOptions?.taskQueue?.name ?? '';
    if (p.state !== SCHEDULED || !queue.startsWith(LIMIT_QUEUE_PREFIX)) continue;
    const name = queue.slice(LIMIT_QUEUE_PREFIX.length);
    waits[name] = (waits[name] ?? 0) + 1;
  }
  return waits;
}

/**
 * Where a run's steps wait on limits, from the server: each running task that uses a limit is
 * described (a map with its shards), and the run itself for inline tasks' steps. Only tasks whose
 * plan names a limit are looked up, at most MAX_LOOKUPS of them, and no more often than
 * LIMIT_LOOK_MS: between two looks, `poll` answers what the last one found.
 */
export class LimitWatch {
  private plan: Plan | null = null;
  private lastLook = -Infinity;
  private last: LimitWait[] = [];

  constructor(
    private readonly client: Client,
    private readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async poll(running: string[]): Promise<LimitWait[]> {
    if (this.now() - this.lastLook < LIMIT_LOOK_MS) return this.last;
    this.lastLook = this.now();
    this.last = await this.look(running);
    return this.last;
  }

  private async look(running: string[]): Promise<LimitWait[]> {
    return waitsOf(this.client, this.runId, await this.limitedTasks(running));
  }

  /**
   * The running tasks whose plan names a limit. The plan is read once it can be: a run still being
   * planned has none yet, and a query may fail; until then, no task counts as limited.
   */
  private async limitedTasks(running: string[]): Promise<LimitedTask[]> {
    if (running.length === 0) return [];
    this.plan ??= await this.client.workflow
      .getHandle(this.runId)
      .query(planQuery)
      .catch(() => null);
    if (!this.plan) return [];
    const byId = new Map(this.plan.tasks.map((t) => [t.id, t.rateLimit]));
    return running.flatMap((id) => {
      const limit = byId.get(id);
      return limit === undefined ? [] : [{ id, limit }];
    });
  }
}

/** A running task and the limit its plan names. */
export interface LimitedTask {
  id: string;
  limit: string;
}

/**
 * The waits of these running tasks of a run: each one's workflow is described (a map with its
 * shards), and the run itself for the steps of inline tasks (a task with no workflow of its own).
 */
export async function waitsOf(client: Client, runId: string, tasks: LimitedTask[]): Promise<LimitWait[]> {
  const limited = tasks.slice(0, MAX_LOOKUPS);
  if (limited.length === 0) return [];
  const waits: LimitWait[] = [];
  const inline: LimitedTask[] = [];
  await Promise.all(
    limited.map(async (t) => {
      const found = await waitsUnder(client, taskWorkflowId(runId, t.id));
      if (found === undefined) return void inline.push(t);
      for (const [limit, steps] of Object.entries(found)) waits.push({ task: t.id, limit, steps });
    }),
  );
  if (inline.length > 0) {
    const own = (await describe(client, runId))?.raw.pendingActivities ?? [];
    for (const [limit, steps] of Object.entries(limitWaitsOf(own))) {
      const theirs = inline.filter((t) => t.limit === limit);
      waits.push({ task: theirs.length === 1 ? theirs[0].id : 'inline steps', limit, steps });
    }
  }
  return waits.sort((a, b) => a.task.localeCompare(b.task) || a.limit.localeCompare(b.limit));
}

/** A task workflow's waits, with its map shards'; undefined when there is no such workflow (an inline task). */
export async function waitsUnder(client: Client, workflowId: string): Promise<Record<string, number> | undefined> {
  const described = await describe(client, workflowId);
  if (!described) return undefined;
  const shards = (described.raw.pendingChildren ?? [])
    .map((c) => c.workflowId ?? '')
    .filter((id) => id.startsWith(`${workflowId}/s`));
  const all = [described, ...(await Promise.all(shards.map((id) => describe(client, id))))];
  const waits: Record<string, number> = {};
  for (const d of all)
    for (const [limit, n] of Object.entries(limitWaitsOf(d?.raw.pendingActivities ?? [])))
      waits[limit] = (waits[limit] ?? 0) + n;
  return waits;
}

function describe(client: Client, workflowId: string) {
  return client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
}

/** "37 waiting for api": a task row's note. */
export function waitNote(w: LimitWait): string {
  return `${w.steps} waiting for ${w.limit}`;
}

/** Lines like `fetch: 37 steps waiting for api`, for `ptq status`. */
export async function limitWaitLines(client: Client, runId: string, running: string[]): Promise<string[]> {
  const waits = await new LimitWatch(client, runId).poll(running);
  return waits.map((w) => `${w.task}: ${w.steps} ${w.steps === 1 ? 'step' : 'steps'} waiting for ${w.limit}`);
}
