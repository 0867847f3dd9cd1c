import { evaluateCondition, MAX_RUN_CONDITION_STEPS } from '../plan/expr';
import type { ItemSource, MapSpec } from '../plan/plan';
import { toleratedCount } from './tolerance';
import { AdaptiveConcurrency, DEFAULT_AUTO_BOUNDS, type AdaptiveState } from './adaptiveConcurrency';

/**
 * A map task's own small state machine: which item starts next, the counts, and when to stop.
 * Pure and plain JSON like the scheduler, so it crosses continue-as-new as is. The workflow only
 * starts what `next()` returns and feeds results back through `record()`.
 */

/** One item's outcome, as conditions see it and as the results file holds it. */
export interface ItemResult {
  index: number;
  item: unknown;
  ok: boolean;
  /** The tail of the last step's output. */
  output: string;
  /** The last step's output parsed as JSON (task `"output": "json"`), else null. */
  json: unknown;
  error?: string;
  attempts: number;
  durationMs: number;
  /** Stopped by a cancel before it ended. */
  cancelled?: boolean;
}

/** Why a map stopped starting items, and whether that fails it. */
export interface MapStop {
  reason: string;
  failed: boolean;
}

/** The machine's whole state. */
export interface MapState {
  total: number;
  /** Index of the next item to start; items start in order. */
  next: number;
  maxParallel: number;
  /** The run's M, which caps every map of the run too. */
  runCap: number;
  paused: boolean;
  counts: { succeeded: number; failed: number; cancelled: number; running: number };
  stop?: MapStop;
  /** The latest results, for conditions that read `results`; bounded by WINDOW_CHARS. */
  window: ItemResult[];
  windowChars: number;
  /** The first few failures, for the summary. */
  failures: Array<{ index: number; item: string; error: string }>;
  /** Items done when the model was last asked (an `until: {llm}` map). */
  askedAt?: number;
  /** Steps `until`/`while` have taken (see core/expr.ts); absent in maps from before the budget. */
  conditionSteps?: number;
  /** `maxParallel: auto`: the controller that sets the limit, and each running item's concurrency at its start. */
  auto?: { controller: AdaptiveState; startedWith: Record<number, number> };
}

/** What conditions see of the results: at most this much JSON (it crosses continue-as-new). */
const WINDOW_CHARS = 512 * 1024;
/** Step types a batched map (`batch > 1`) runs in one activity: no durable timers, no user activities. */
export const BATCH_STEP_TYPES: readonly string[] = ['shell', 'http', 'llm'];

/** Output kept per result in the window and the results file. */
export const ITEM_OUTPUT_CHARS = 1_000;
const FAILURES_KEPT = 5;

/** How a map's items went, in the run summary: each count is of items, and they add up to `total`. */
export interface MapItems {
  total: number;
  succeeded: number;
  failed: number;
  /** Stopped by a cancel while running. */
  cancelled: number;
  /** Never started: the map stopped early, or was cancelled, before their turn. */
  notStarted: number;
}

/** A live view of a map, for `ptq status`, `watch` and the Web UI. */
export interface MapProgress {
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  running: number;
  notStarted: number;
  maxParallel: number;
  /** The limit is `maxParallel: auto`'s current one. */
  auto?: boolean;
  paused: boolean;
  stop: MapStop | null;
}

/** Decides a map's next steps. */
export class MapMachine {
  private readonly readsResults: boolean;
  /** The CEL `until`, when it is one (not a model check). */
  private readonly until: string | undefined;

  private constructor(
    private readonly spec: MapSpec,
    readonly state: MapState,
  ) {
    this.until = typeof spec.until === 'string' ? spec.until : undefined;
    // A model check reads the latest results too.
    this.readsResults =
      (spec.until !== undefined && typeof spec.until !== 'string') ||
      [this.until, spec.while].some((c) => c !== undefined && /\bresults\b/.test(c));
  }

  /** A fresh map; `boundConditions` counts the steps of its conditions against a budget (see core/expr.ts). */
  static create(spec: MapSpec, total: number, runCap: number, boundConditions = false): MapMachine {
    return new MapMachine(spec, {
      ...(boundConditions ? { conditionSteps: 0 } : {}),
      total,
      next: 0,
      maxParallel: mapParallelCap(spec),
      runCap,
      ...(spec.maxParallel === 'auto'
        ? { auto: { controller: AdaptiveConcurrency.create(spec.auto ?? DEFAULT_AUTO_BOUNDS).state, startedWith: {} } }
        : {}),
      paused: false,
      counts: { succeeded: 0, failed: 0, cancelled: 0, running: 0 },
      window: [],
      windowChars: 0,
      failures: [],
    });
  }

  static restore(spec: MapSpec, state: MapState): MapMachine {
    return new MapMachine(spec, state);
  }

  /** The next item index to start, or undefined when the limit is reached, paused or stopped. */
  next(): number | undefined {
    const s = this.state;
    if (s.stop || s.paused || s.next >= s.total || s.counts.running >= this.limit()) return;
    s.counts.running++;
    if (s.auto) s.auto.startedWith[s.next] = s.counts.running;
    return s.next++;
  }

  /** Items that may run at once now. */
  private limit(): number {
    const s = this.state;
    const own = s.auto ? AdaptiveConcurrency.restore(s.auto.controller).limit() : s.maxParallel;
    return Math.min(own, s.runCap);
  }

  /**
   * Records an item's end (at `endedAt`, workflow time, which `maxParallel: auto` needs). Returns
   * the stop it caused, if it caused one.
   */
  record(result: ItemResult, params: Record<string, unknown>, endedAt?: number): MapStop | undefined {
    const s = this.state;
    if (s.auto) this.observe(s.auto, result, endedAt);
    s.counts.running--;
    if (result.cancelled) {
      s.counts.cancelled++;
      return undefined;
    }
    if (result.ok) s.counts.succeeded++;
    else {
      s.counts.failed++;
      if (s.failures.length < FAILURES_KEPT)
        s.failures.push({ index: result.index, item: brief(result.item), error: result.error ?? 'failed' });
    }
    if (this.readsResults) this.remember(result);
    if (s.stop) return undefined;
    s.stop = this.stopAfter(result, params);
    return s.stop;
  }

  private stopAfter(last: ItemResult, params: Record<string, unknown>): MapStop | undefined {
    const s = this.state;
    const when = this.when();
    const tolerated = toleratedCount(this.spec.toleratedFailures, s.total);
    if (s.counts.failed > tolerated)
      return {
        failed: true,
        reason: `${s.counts.failed} item${s.counts.failed === 1 ? '' : 's'} failed ${when}, over the ${tolerated} tolerated`,
      };
    const context = {
      results: this.readsResults ? s.window : [],
      last,
      done: this.done(),
      succeeded: s.counts.succeeded,
      failed: s.counts.failed,
      running: s.counts.running,
      total: s.total,
      params,
    };
    for (const [name, expression, stopWhen] of [
      ['until', this.until, true],
      ['while', this.spec.while, false],
    ] as const) {
      if (expression === undefined) continue;
      const used = s.conditionSteps;
      const budget = used === undefined ? undefined : { left: MAX_RUN_CONDITION_STEPS - used };
      const verdict = evaluateCondition(expression, context, budget);
      if (budget) s.conditionSteps = MAX_RUN_CONDITION_STEPS - budget.left;
      if (!verdict.ok) return { failed: true, reason: `${name}: ${verdict.error}` };
      if (verdict.value === stopWhen)
        return { failed: false, reason: `${name} condition ${stopWhen ? 'met' : 'no longer held'} ${when}` };
    }
    return undefined;
  }

  /**
   * The moment of a stop, for its reason: "when 150 of 2000 items had ended and 21 were running".
   * Items running then still end (succeeded, failed, or cancelled by `onStop: cancel`), so the
   * final counts are higher than the first number: the reason says which items it counts.
   */
  when(): string {
    const s = this.state;
    const running = s.counts.running
      ? ` and ${s.counts.running} ${s.counts.running === 1 ? 'was' : 'were'} running`
      : '';
    return `when ${this.done()} of ${s.total} items had ended${running}`;
  }

  private remember(result: ItemResult): void {
    const s = this.state;
    s.window.push(result);
    s.windowChars += JSON.stringify(result).length;
    while (s.windowChars > WINDOW_CHARS && s.window.length > 1)
      s.windowChars -= JSON.stringify(s.window.shift()).length;
  }

  /** Stops starting items: a cancel of the map itself (failed), or a model's verdict. */
  halt(reason: string, failed = true): MapStop | undefined {
    if (this.state.stop) return undefined;
    this.state.stop = { reason, failed };
    return this.state.stop;
  }

  /**
   * Whether to ask the model of an `until: {llm}` now: every N completions, while items are left.
   * Calling it when due records the ask, so it happens once per N.
   */
  modelCheckDue(): boolean {
    const s = this.state;
    const until = this.spec.until;
    if (until === undefined || typeof until === 'string' || s.stop || s.next >= s.total) return false;
    if (this.done() - (s.askedAt ?? 0) < until.llm.every) return false;
    s.askedAt = this.done();
    return true;
  }

  /** The latest results, for a model check. */
  latest(n: number): ItemResult[] {
    return this.state.window.slice(-n);
  }

  /** Feeds `maxParallel: auto`'s controller with one item's end. */
  private observe(auto: NonNullable<MapState['auto']>, result: ItemResult, endedAt: number | undefined): void {
    const concurrency = auto.startedWith[result.index];
    delete auto.startedWith[result.index];
    if (result.cancelled || endedAt === undefined || concurrency === undefined) return;
    AdaptiveConcurrency.restore(auto.controller).record({
      index: result.index,
      started: this.state.next,
      startedAt: endedAt - result.durationMs,
      endedAt,
      ok: result.ok && result.attempts <= 1,
      running: this.state.counts.running,
      concurrency,
    });
  }

  /** A fixed limit, set live (`ptq set-concurrency --task`); it ends `maxParallel: auto`. */
  setMaxParallel(n: number): void {
    this.state.maxParallel = n;
    delete this.state.auto;
  }

  setRunCap(n: number): void {
    this.state.runCap = n;
  }

  setPaused(paused: boolean): void {
    this.state.paused = paused;
  }

  /** Items that ended, whatever the outcome. */
  done(): number {
    const c = this.state.counts;
    return c.succeeded + c.failed + c.cancelled;
  }

  isDone(): boolean {
    const s = this.state;
    return s.counts.running === 0 && (s.stop !== undefined || s.next >= s.total);
  }

  progress(): MapProgress {
    const s = this.state;
    return {
      total: s.total,
      done: this.done(),
      ...s.counts,
      notStarted: s.total - s.next,
      maxParallel: this.limit(),
      ...(s.auto ? { auto: true } : {}),
      paused: s.paused,
      stop: s.stop ?? null,
    };
  }

  /** The final counts, for the run summary. */
  items(): MapItems {
    const s = this.state;
    const { succeeded, failed, cancelled } = s.counts;
    return { total: s.total, succeeded, failed, cancelled, notStarted: s.total - s.next };
  }

  /** The task's output: its note (counts, and why it stopped early), then the first failures. */
  summary(): string {
    const s = this.state;
    const failures = s.failures.map((f) => `  item ${f.index} (${f.item}): ${f.error.split('\n')[0]}`);
    return [mapNote(this.items(), s.stop?.reason), ...failures].join('\n');
  }
}

/**
 * A map's note in the text views, one line: "2000 items: 171 succeeded, 0 failed, 1829 not started
 * (stopped early: until condition met when 150 of 2000 items had ended and 21 were running)".
 */
export function mapNote(items: MapItems, stop?: string): string {
  const parts = [`${items.succeeded} succeeded`, `${items.failed} failed`];
  if (items.cancelled) parts.push(`${items.cancelled} cancelled`);
  if (items.notStarted) parts.push(`${items.notStarted} not started`);
  return `${items.total} items: ${parts.join(', ')}${stop ? ` (stopped early: ${stop})` : ''}`;
}

/** The most items a map runs at once: its `maxParallel`, or the upper bound of `auto`. */
export function mapParallelCap(spec: Pick<MapSpec, 'maxParallel' | 'auto'>): number {
  return spec.maxParallel === 'auto' ? (spec.auto ?? DEFAULT_AUTO_BOUNDS).max : spec.maxParallel;
}

/** How many items a source has, when that is known before the map runs (a list, a range). */
export function knownMapSize(source: ItemSource): number | undefined {
  if (Array.isArray(source)) return source.length;
  if (typeof source === 'object' && 'range' in source) {
    const [start, end, step = 1] = source.range;
    return Math.max(0, Math.ceil((end - start) / step));
  }
  return undefined;
}

/** An item in one short line, for summaries. */
function brief(item: unknown): string {
  const text = typeof item === 'string' ? item : JSON.stringify(item);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
