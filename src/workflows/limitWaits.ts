import { patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import type { Plan } from '../core/plan/plan';

const { lookLimitWaits, lookMapLimitWaits } = proxyLocalActivities<BuiltinActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** The run looks at most this often, and only while a task that uses a limit runs. */
export const LIMIT_LOOK_MS = 3_000;
/** A run that keeps a limited task running looks less often: every minute at most, after 20 looks. */
const LOOK_BACKOFF_AFTER = 20;
const LOOK_MAX_MS = 60_000;

/**
 * `fetch: 37 waiting for api` in the run's details in the Web UI. The workflow cannot tell a step
 * scheduled on a limit's queue from one running, so while a task that uses a limit runs, the run
 * asks the server every LIMIT_LOOK_MS, with a local activity (one marker event a look, and the
 * timer that wakes the run for it when nothing else does). A failed look leaves the last lines.
 * Each look costs the run's history about six events, so a run that keeps a limited task running
 * for hours looks less and less often (LOOK_MAX_MS), and wakes for no look once Temporal suggests
 * continuing as new: a run that only waits on one long task must not fill its history with looks.
 * Runs recorded before this (`patched('limit-waits')`) never look.
 */
export class RunLimitWaits {
  private lastLook = -Infinity;
  private looks = 0;
  private looking: boolean | undefined;
  lines: string[] = [];

  constructor(private readonly plan: Plan) {}

  /** How long the run may sleep before its next look; undefined when nothing that uses a limit runs. */
  wakeIn(running: string[], now: number): number | undefined {
    if (this.limited(running).length === 0 || !this.enabled()) return undefined;
    if (workflowInfo().continueAsNewSuggested) return undefined;
    return Math.max(1, this.lastLook + this.interval() - now);
  }

  /** LIMIT_LOOK_MS for the first looks, then doubling up to LOOK_MAX_MS. */
  private interval(): number {
    return Math.min(LOOK_MAX_MS, LIMIT_LOOK_MS * 2 ** Math.floor(this.looks / LOOK_BACKOFF_AFTER));
  }

  /**
   * Looks again if it is time (the promise to wait for), else undefined: no promise is made when
   * there is nothing to look at, since each one costs the SDK a stack trace. With no limited task
   * running, the lines are cleared.
   */
  look(runId: string, running: string[], now: number): Promise<void> | undefined {
    const tasks = this.limited(running);
    if (tasks.length === 0) {
      this.lines = [];
      this.looks = 0;
      return undefined;
    }
    if (!this.enabled() || now - this.lastLook < this.interval()) return undefined;
    this.lastLook = now;
    this.looks++;
    return lookLimitWaits({ runId, tasks }).then(
      (lines) => void (this.lines = lines),
      () => undefined,
    );
  }

  private limited(running: string[]): Array<{ id: string; limit: string }> {
    const index = this.byId();
    return running.flatMap((id) => {
      const limit = index[id];
      return limit === undefined ? [] : [{ id, limit }];
    });
  }

  private index: Record<string, string> | undefined;

  private byId(): Record<string, string> {
    if (!this.index) {
      this.index = {};
      for (const t of this.plan.tasks) if (t.rateLimit !== undefined) this.index[t.id] = t.rateLimit;
    }
    return this.index;
  }

  private enabled(): boolean {
    this.looking ??= patched('limit-waits');
    return this.looking;
  }
}

/**
 * `37 waiting for api` in a map's details in the Web UI, while items of a map that uses a limit
 * run. The map wakes as its items end, so it looks then, at most every LIMIT_LOOK_MS, with no timer
 * of its own: one marker event a look. Maps recorded before this (`patched('map-limit-waits')`)
 * never look.
 */
export class MapLimitWaits {
  private lastLook = -Infinity;
  private looking: boolean | undefined;
  lines: string[] = [];

  constructor(private readonly limit: string | undefined) {}

  /** Looks again if it is time (the promise to wait for), else undefined; with no item running, clears the lines. */
  look(mapId: string, running: number, now: number): Promise<void> | undefined {
    if (this.limit === undefined) return undefined;
    if (running === 0) {
      this.lines = [];
      return undefined;
    }
    if (now - this.lastLook < LIMIT_LOOK_MS) return undefined;
    this.looking ??= patched('map-limit-waits');
    if (!this.looking) return undefined;
    this.lastLook = now;
    return lookMapLimitWaits(mapId).then(
      (lines) => void (this.lines = lines),
      () => undefined,
    );
  }
}
