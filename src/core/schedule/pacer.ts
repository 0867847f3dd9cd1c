/**
 * Even spacing of starts at a rate, with room for `burst` at once (GCRA: one "theoretical arrival
 * time" instead of a bucket of tokens). Temporal holds a limit's rate across every worker, but its
 * limiter lets a full second of the rate through at once after an idle moment (1.29 has no setting
 * for that), so a 20/s limit could see 40 requests in one second. Each worker paces the starts it
 * is handed with this, so the starts of one worker never go over `rate` a second by more than
 * `burst`. Pure: the caller passes the time and waits what it returns.
 */
export class Pacer {
  private tat = -Infinity;

  /**
   * Books a start asked for at `now` (ms) and returns how long to wait before it, in whole ms
   * rounded up (never early, even by a float's error). A start is booked even if the caller then
   * gives up: one start too few, never one too many.
   */
  book(now: number, ratePerSecond: number, burst = 1): number {
    const interval = 1000 / ratePerSecond;
    const at = Math.max(this.tat, now);
    const allowed = at - (Math.max(1, burst) - 1) * interval;
    this.tat = at + interval;
    return Math.max(0, Math.ceil(allowed - now));
  }

  /** Whether every start booked so far is past at `now`: the pacer then acts as a new one. */
  idleAt(now: number): boolean {
    return this.tat <= now;
  }
}
