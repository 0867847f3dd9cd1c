import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { failureOf } from '../../core/failures';
import type { LimitDefinition, LimitStore } from '../../temporal/limits';
import { scaledPerKey } from '../../temporal/limits';

/**
 * Adaptive limits (AIMD on the server's own rate). An adaptive limit's `rate` is a ceiling; the
 * rate its task queue holds moves under it:
 * - a step under it answered 429/503 (or an LLM rate-limit error) halves it, at most once per
 *   BACKOFF_GAP_MS whatever the number of workers (the 429s of one burst count once), and the
 *   step fails with `RateLimited`, which its task starts again after Retry-After without counting
 *   an attempt (workflows/rateLimited.ts);
 * - after QUIET_MS without a change, while steps under it succeed, it rises: doubling until the
 *   first 429 ever (a new limit starts at an eighth of its ceiling), then by a 40th of the ceiling.
 *
 * The state is the queue's config on the server (rate, reason, update time), so every worker
 * reads and writes the same one; each worker only remembers whether its own steps succeeded since
 * its last look. Two workers that probe in the same instant may both raise it: one step too many.
 */

const BACKOFF_GAP_MS = 1_000;
const QUIET_MS = 2_000;
const DECREASE = 0.5;
const MIN_RATE = 0.5;

/** One worker's view of the adaptive limits it polls. */
export class AdaptiveLimits {
  private definitions: Record<string, LimitDefinition> = {};
  private readonly succeeded = new Set<string>();
  private readonly backingOff = new Map<string, Promise<void>>();

  constructor(
    private readonly store: LimitStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The limits as the worker last read them. */
  update(definitions: Record<string, LimitDefinition>): void {
    this.definitions = definitions;
  }

  /** Whether the limit is adaptive. */
  isAdaptive(name: string): boolean {
    return this.definitions[name]?.adaptive === true;
  }

  /** A step under the limit succeeded. */
  sawSuccess(name: string): void {
    this.succeeded.add(name);
  }

  /** A step under the limit was throttled: halve the rate unless that was just done. */
  sawThrottle(name: string): Promise<void> {
    const running = this.backingOff.get(name);
    if (running) return running;
    const done = this.backOff(name).finally(() => this.backingOff.delete(name));
    this.backingOff.set(name, done);
    return done;
  }

  /** Raises the rate of each adaptive limit that is in use and has been quiet long enough. */
  async probe(): Promise<void> {
    const used = [...this.succeeded].filter((n) => this.isAdaptive(n));
    this.succeeded.clear();
    for (const name of used) {
      const limit = this.definitions[name];
      const status = await this.store.status(name, limit);
      if (status.current === undefined || status.current >= limit.rate) continue;
      if (this.now() - (status.changedAt ?? 0) < QUIET_MS) continue;
      const slowStart = status.reason === 'start' || status.reason === 'slow-start';
      const next = Math.min(limit.rate, slowStart ? status.current * 2 : status.current + Math.max(1, limit.rate / 40));
      await this.store.setRate(name, next, scaledPerKey(limit, next), slowStart ? 'slow-start' : 'probe');
    }
  }

  private async backOff(name: string): Promise<void> {
    const limit = this.definitions[name];
    if (!limit) return;
    const status = await this.store.status(name, limit);
    const current = status.current ?? limit.rate;
    if (status.reason === 'backoff' && this.now() - (status.changedAt ?? 0) < BACKOFF_GAP_MS) return;
    const next = Math.max(MIN_RATE, current * DECREASE);
    await this.store.setRate(name, next, scaledPerKey(limit, next), 'backoff');
  }
}

/** A throttled step: the API's answer said to slow down, and maybe for how long. */
export interface Throttle {
  retryAfterMs?: number;
}

/** Whether a step's failure is a 429/503 or an LLM rate limit, and its Retry-After. */
export function throttleOf(err: unknown): Throttle | undefined {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const details = err.details?.[0] as { retryAfterMs?: number } | undefined;
  const throttled =
    (err.type === 'HttpStatusError' && /returned (429|503)$/.test(err.message)) ||
    (err.type === 'LlmError' && !err.nonRetryable && /\b(429|503)\b|rate.?limit|overloaded/i.test(err.message));
  return throttled ? { retryAfterMs: details?.retryAfterMs } : undefined;
}

/**
 * The interceptor of a limit's worker: tells the controller how steps went, and turns a 429 under
 * an adaptive limit into `RateLimited` (not retried by Temporal: the task starts the step again).
 */
export function adaptiveInterceptor(name: string, limits: AdaptiveLimits): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        try {
          const result = await next(input);
          limits.sawSuccess(name);
          return result;
        } catch (err) {
          const throttle = limits.isAdaptive(name) ? throttleOf(err) : undefined;
          if (!throttle) throw err;
          await limits.sawThrottle(name).catch(() => undefined);
          const cause = err as ApplicationFailure;
          throw ApplicationFailure.create({
            ...failureOf('RateLimited', `${cause.message} (limit "${name}" backs off)`, false),
            details: [{ ...(cause.details?.[0] as object), retryAfterMs: throttle.retryAfterMs }],
          });
        }
      },
    },
  });
}
