/**
 * How often running steps heartbeat. Every heartbeat takes its workflow's lock and a write on the
 * server, and so does the timer that checks it: at one a second, 3,000 steps held at once sent the
 * 2-core dev server 1,000 heartbeats a second, which starved everything else (starts of the next
 * items, and the stop signals of a cancel, which waited more than two minutes). So a worker spends
 * a fixed budget of heartbeats a second over its running steps, and a wide map's items get a
 * heartbeat timeout long enough for that spacing.
 */

/** Heartbeats a second one worker sends at most, spread over its running steps. */
export const HEARTBEAT_BUDGET = 200;
/** The heartbeat timeout of a step whose task and plan set none. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** A step without a heartbeat timeout (an activity step) counts as one of 30 s: a heartbeat every 10 s at most. */
const NO_TIMEOUT_MS = 30_000;

/**
 * Least time between two heartbeats of one step while `running` steps heartbeat in this worker:
 * none of its own up to HEARTBEAT_BUDGET steps (the worker's one-second throttle governs), more
 * above, and never more than a third of the heartbeat timeout (10 s when there is none), so that a
 * slow server still gets one in time.
 */
export function heartbeatSpacing(running: number, timeoutMs: number | undefined): number {
  return Math.min((running / HEARTBEAT_BUDGET) * 1_000, (timeoutMs || NO_TIMEOUT_MS) / 3);
}

/**
 * The heartbeat timeout of a wide map's items, unless the plan sets one: three times the spacing
 * of `inFlight` steps in one worker, so that they keep to the budget. A dead worker's items are
 * retried that much later (45 s at 3,000), and a cancel reaches an http or llm item on its next
 * heartbeat, within a third of it; programs (shell, agent) on the worker that runs the shard stop at
 * once (workflows/stopLocally.ts).
 */
export function wideItemHeartbeatMs(inFlight: number): number {
  return Math.max(DEFAULT_HEARTBEAT_MS, Math.ceil((3 * inFlight) / HEARTBEAT_BUDGET) * 1_000);
}
