import type { WorkflowService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { limitTaskQueue, parseRate } from '../core/plan/rates';
import type { LimitSpec } from '../core/plan/plan';

/**
 * Named rate limits, global to a namespace. Temporal enforces them: a limit is the activity task
 * queue `ptq-limit-NAME`, whose rate (and default rate per fairness key) is set with
 * UpdateTaskQueueConfig, and every worker polls every limit's queue. What Temporal cannot hold is
 * the list of limits (there is no call that lists task queues) and an adaptive limit's ceiling, so
 * those sit beside it, in the namespace's own key-value `data` (UpdateNamespace merges keys):
 * `ptq.limit.NAME` holds the definition as JSON, an empty value a deleted limit. Every worker and
 * CLI reads the same two places, so there is nothing to keep in sync between processes.
 *
 * The queue config is the live state: the rate the server holds now (an adaptive limit's current
 * rate, below its ceiling) and, in the config's `reason`, why it was last changed.
 */

/** A limit as stored: rates in requests per second. */
export interface LimitDefinition {
  rate: number;
  perKey?: number;
  adaptive?: boolean;
  /** Starts one worker may make at once above the steady rate (activities/limits/pacing.ts); default 1. */
  burst?: number;
}

/** A limit as the server holds it now. */
export interface LimitStatus extends LimitDefinition {
  name: string;
  /** The rate the queue has now (an adaptive limit's current rate), per second. */
  current?: number;
  currentPerKey?: number;
  /** Why the rate was last changed (`set`, `start`, `backoff`, `probe`, `slow-start`), and when. */
  reason?: string;
  changedAt?: number;
  /** Steps scheduled on the limit's queue and not started yet (the server's approximate backlog). */
  waiting: number;
}

const DATA_PREFIX = 'ptq.limit.';
const ACTIVITY = temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;

/** Where the limits of one namespace live; works with a client's or a worker's connection. */
export class LimitStore {
  constructor(
    private readonly service: WorkflowService,
    private readonly namespace: string,
    private readonly identity = 'ptq',
  ) {}

  /** Every limit of the namespace by name. */
  async definitions(): Promise<Record<string, LimitDefinition>> {
    const { namespaceInfo } = await this.service.describeNamespace({ namespace: this.namespace });
    const out: Record<string, LimitDefinition> = {};
    for (const [key, value] of Object.entries(namespaceInfo?.data ?? {})) {
      if (!key.startsWith(DATA_PREFIX) || !value) continue;
      out[key.slice(DATA_PREFIX.length)] = JSON.parse(value) as LimitDefinition;
    }
    return out;
  }

  /** Creates or replaces a limit: its definition, then the rate its queue holds (an adaptive one starts low). */
  async set(name: string, limit: LimitDefinition): Promise<void> {
    // The rate first: workers poll a limit's queue once its definition is listed, and a queue
    // polled before it has a rate dispatches at the server's default (unlimited) rate meanwhile.
    const start = limit.adaptive ? startRate(limit.rate) : limit.rate;
    await this.setRate(name, start, scaledPerKey(limit, start), limit.adaptive ? 'start' : 'set');
    await this.writeDefinition(name, limit);
  }

  /** Creates the limits a plan declares that do not exist yet; existing ones keep their values. */
  async createMissing(limits: Record<string, LimitSpec>): Promise<string[]> {
    const existing = await this.definitions();
    const created: string[] = [];
    for (const [name, spec] of Object.entries(limits)) {
      if (Object.hasOwn(existing, name)) continue;
      await this.set(name, definitionOf(spec));
      created.push(name);
    }
    return created;
  }

  /** Removes a limit: workers stop polling its queue, and the queue loses its rate. */
  async delete(name: string): Promise<boolean> {
    const existing = await this.definitions();
    if (!Object.hasOwn(existing, name)) return false;
    await this.service.updateNamespace({
      namespace: this.namespace,
      updateInfo: { data: { [DATA_PREFIX + name]: '' } },
    });
    await this.service.updateTaskQueueConfig({
      namespace: this.namespace,
      identity: this.identity,
      taskQueue: limitTaskQueue(name),
      taskQueueType: ACTIVITY,
      updateQueueRateLimit: { reason: 'deleted' },
      updateFairnessKeyRateLimitDefault: { reason: 'deleted' },
    });
    return true;
  }

  /** Sets the rate the server holds on the limit's queue now (and per key), with why. */
  async setRate(name: string, rate: number, perKey: number | undefined, reason: string): Promise<void> {
    await this.service.updateTaskQueueConfig({
      namespace: this.namespace,
      identity: this.identity,
      taskQueue: limitTaskQueue(name),
      taskQueueType: ACTIVITY,
      updateQueueRateLimit: { rateLimit: { requestsPerSecond: rate }, reason },
      updateFairnessKeyRateLimitDefault:
        perKey === undefined ? { reason } : { rateLimit: { requestsPerSecond: perKey }, reason },
    });
  }

  /** A limit's definition with its queue's live rate and backlog. */
  async status(name: string, limit: LimitDefinition): Promise<LimitStatus> {
    const answer = await this.service.describeTaskQueue({
      namespace: this.namespace,
      taskQueue: { name: limitTaskQueue(name) },
      taskQueueType: ACTIVITY,
      reportConfig: true,
      reportStats: true,
    });
    const queue = answer.config?.queueRateLimit;
    const perKey = answer.config?.fairnessKeysRateLimitDefault;
    const updated = queue?.metadata?.updateTime;
    return {
      name,
      ...limit,
      current: queue?.rateLimit?.requestsPerSecond ?? undefined,
      currentPerKey: perKey?.rateLimit?.requestsPerSecond ?? undefined,
      reason: queue?.metadata?.reason || undefined,
      changedAt: updated ? Number(updated.seconds ?? 0) * 1000 + Math.floor((updated.nanos ?? 0) / 1e6) : undefined,
      waiting: Number(answer.stats?.approximateBacklogCount ?? 0),
    };
  }

  private async writeDefinition(name: string, limit: LimitDefinition): Promise<void> {
    await this.service.updateNamespace({
      namespace: this.namespace,
      updateInfo: { data: { [DATA_PREFIX + name]: JSON.stringify(limit) } },
    });
  }
}

/** A plan's limit (rates as text) as stored (per second). */
export function definitionOf(spec: LimitSpec): LimitDefinition {
  const perKey = spec.perKey === undefined ? undefined : parseRate(spec.perKey);
  return {
    rate: parseRate(spec.rate) as number,
    ...(perKey ? { perKey } : {}),
    ...(spec.adaptive ? { adaptive: true } : {}),
    ...(spec.burst !== undefined ? { burst: spec.burst } : {}),
  };
}

/**
 * Where an adaptive limit starts: an eighth of its ceiling (at least 1/s). The server lets a queue
 * send a whole second's worth at once, so starting at the ceiling would flood an API whose real
 * limit is far below it before the first 429 came back; from here it doubles until the first one.
 */
export function startRate(ceiling: number): number {
  return Math.min(ceiling, Math.max(1, ceiling / 8));
}

/** An adaptive limit's per-key rate follows its queue rate down, in proportion. */
export function scaledPerKey(limit: LimitDefinition, rate: number): number | undefined {
  return limit.perKey === undefined ? undefined : Math.min(limit.perKey, (limit.perKey * rate) / limit.rate);
}
