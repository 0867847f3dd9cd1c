import { formatDuration } from '../plan/duration';
import { plural } from './plural';

/**
 * How a run's steps fared under its named rate limits: the summary's limit section. Each step that
 * ran under a limit reports when it started and how long it waited on the limit's queue (from its
 * schedule to its start, measured by the worker that ran it); a task, a map and the run merge what
 * their steps reported, so the record is small and crosses continue-as-new and child results.
 */

/** One limit's use by a task, a map or a run. Plain JSON; times are epoch ms. */
export interface LimitUse {
  /** Steps that started under the limit and reported back (one per step, however often it was sent back). */
  started: number;
  /** Of those, how many waited more than WAITED_MS for their start. */
  waited: number;
  longestWaitMs: number;
  firstStartAt: number;
  lastStartAt: number;
  /** 429/503 answers the steps got under an adaptive limit (each sent the step back to the queue). */
  throttled: number;
}

/** A task's, a map's or a run's use of each limit, by name. */
export type LimitUses = Record<string, LimitUse>;

/** One step's start under a limit, as its worker saw it. */
export interface LimitStart {
  waitMs: number;
  startedAt: number;
}

/**
 * A step waited on its limit when its schedule-to-start passed this. A step on an idle limit's
 * queue starts at once (the server hands it to a waiting poller): 10 steps in a row on an idle
 * 100/s limit waited 12 ms at most inline, 38 ms as child tasks, on a loaded 2-core machine.
 * 250 ms is well above that, and below one start's share of any rate under 4/s.
 */
export const WAITED_MS = 250;

/** `uses` with one more step started under `name`, after `throttled` 429s. */
export function addLimitStart(uses: LimitUses | undefined, name: string, start: LimitStart, throttled = 0): LimitUses {
  const step: LimitUse = {
    started: 1,
    waited: start.waitMs > WAITED_MS ? 1 : 0,
    longestWaitMs: Math.max(0, start.waitMs),
    firstStartAt: start.startedAt,
    lastStartAt: start.startedAt,
    throttled,
  };
  return mergeLimitUses(uses, { [name]: step }) as LimitUses;
}

/** Two records of limit use as one; undefined when both are. */
export function mergeLimitUses(a: LimitUses | undefined, b: LimitUses | undefined): LimitUses | undefined {
  if (!a || !b) return a ?? b;
  const out: LimitUses = { ...a };
  for (const [name, u] of Object.entries(b)) {
    const o = Object.hasOwn(out, name) ? out[name] : undefined;
    out[name] = o
      ? {
          started: o.started + u.started,
          waited: o.waited + u.waited,
          longestWaitMs: Math.max(o.longestWaitMs, u.longestWaitMs),
          firstStartAt: Math.min(o.firstStartAt, u.firstStartAt),
          lastStartAt: Math.max(o.lastStartAt, u.lastStartAt),
          throttled: o.throttled + u.throttled,
        }
      : u;
  }
  return out;
}

/** The limit section from what every ended task reported; absent when no step ran under a limit. */
export function limitSection(tasks: Array<{ limits?: LimitUses }>): { limits?: LimitReport[] } {
  const uses = tasks.reduce<LimitUses | undefined>((all, t) => mergeLimitUses(all, t.limits), undefined);
  return uses ? { limits: limitReports(uses) } : {};
}

/** One limit's line of the summary. */
export interface LimitReport {
  name: string;
  started: number;
  waited: number;
  longestWaitMs: number;
  /** Starts per second from the first start to the last; null for fewer than two starts or no span. */
  ratePerSec: number | null;
  throttled: number;
}

/**
 * The summary's limit section, by name. The rate counts the gaps between starts ((n - 1) / span),
 * which is the rate the limit let them through: n / span would overstate a short run.
 */
export function limitReports(uses: LimitUses | undefined): LimitReport[] {
  return Object.entries(uses ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, u]) => {
      const span = u.lastStartAt - u.firstStartAt;
      const ratePerSec = u.started > 1 && span > 0 ? Math.round(((u.started - 1) / span) * 100_000) / 100 : null;
      return {
        name,
        started: u.started,
        waited: u.waited,
        longestWaitMs: u.longestWaitMs,
        ratePerSec,
        throttled: u.throttled,
      };
    });
}

/** "api: 40 steps, 34 waited (longest 7.2s), 5.1/s, 0 429s". */
export function limitLine(r: LimitReport): string {
  const waited = r.waited ? `${r.waited} waited (longest ${formatDuration(r.longestWaitMs)})` : 'none waited';
  const rate = r.ratePerSec === null ? '' : `, ${r.ratePerSec}/s`;
  return `${r.name}: ${plural(r.started, 'step')}, ${waited}${rate}, ${plural(r.throttled, '429')}`;
}
