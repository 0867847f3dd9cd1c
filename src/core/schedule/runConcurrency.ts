import { AdaptiveConcurrency, type AdaptiveBounds, type AdaptiveState } from './adaptiveConcurrency';

/**
 * `maxConcurrency: auto`: a run's M, moved by the same controller as a map's `maxParallel: auto`
 * (adaptiveConcurrency.ts), fed with the run's tasks instead of a map's items.
 *
 * The signal is each task's duration over its own estimate (`estimate`, default 1 s), not its raw
 * duration. A map's items are alike, so their latency rising means the service slowed; a plan's
 * tasks differ, and a 10-minute build ending after ten 5-second checks would read as overload.
 * Divided by what each task was expected to take, tasks of any length are on one scale, and a run
 * of alike tasks (a generated fan-out, all with the default estimate) measures plain latency. The
 * controller's own rules then apply: slow start, back to the most tasks in flight that kept their
 * pace once a round's mean passes 1.5x the best round's, and growth only while M is used, so a
 * stretch of the plan with fewer ready tasks than M teaches nothing.
 *
 * Errors: a task that needed more than one attempt (429s, timeouts, 5xx and `RateLimited` are what
 * gets retried) counts as an error sample. A task that failed on its first and only attempt gives
 * no sample: most such failures (a test that fails, a missing command) say nothing about load. Maps
 * give none either (their items have their own limit), nor do cancelled tasks.
 *
 * Not throughput (tasks ended per second as M grows): in a plan it rises and falls with how many
 * tasks the dependencies let start, so it needs long windows and moves for reasons M did not cause.
 *
 * Pure and plain JSON inside the scheduler state (it crosses continue-as-new); times are the
 * workflow's, given by the caller.
 */
export interface RunAutoState {
  controller: AdaptiveState;
  /** Tasks started under the controller so far: the order it measures rounds in. */
  started: number;
  /** Each running task (by index): its start number, and the tasks running at its start, itself included. */
  running: Record<number, [seq: number, concurrency: number]>;
}

/** One ended task, as the run saw it. */
export interface RunSample {
  index: number;
  startedAt: number;
  endedAt: number;
  /** The task's estimate (ms): its duration is measured against it. */
  estimateMs: number;
  attempts: number;
  /** Succeeded (true), failed (false); cancelled and map tasks are not samples. */
  ok: boolean;
  /** Tasks running when it ended, itself included. */
  running: number;
}

/** A duration of exactly its estimate, in the controller's latency unit. */
const EXPECTED = 1_000;

/** A fresh controller within `bounds`. */
export function startRunAuto(bounds: AdaptiveBounds): RunAutoState {
  return { controller: AdaptiveConcurrency.create(bounds).state, started: 0, running: {} };
}

/** The M to run with now. */
export function runAutoLimit(auto: RunAutoState): number {
  return AdaptiveConcurrency.restore(auto.controller).limit();
}

/** Notes that task `index` started with `running` tasks running, itself included. */
export function runAutoStarted(auto: RunAutoState, index: number, running: number): void {
  auto.running[index] = [auto.started++, running];
}

/** Feeds a task's end to the controller (`sample` undefined: it ended but says nothing); returns the new M. */
export function runAutoEnded(auto: RunAutoState, index: number, sample: RunSample | undefined): number {
  const started = auto.running[index];
  delete auto.running[index];
  const controller = AdaptiveConcurrency.restore(auto.controller);
  if (!started || !sample || (!sample.ok && sample.attempts <= 1)) return controller.limit();
  const stretch = Math.max(0, sample.endedAt - sample.startedAt) / Math.max(1, sample.estimateMs);
  controller.record({
    index: started[0],
    started: auto.started,
    startedAt: 0,
    endedAt: stretch * EXPECTED,
    ok: sample.ok && sample.attempts <= 1,
    running: sample.running,
    concurrency: started[1],
  });
  return controller.limit();
}
