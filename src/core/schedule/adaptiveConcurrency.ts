/**
 * `maxParallel: auto`: how many items a map keeps running, found by watching them. It grows while
 * latency holds and shrinks when latency or errors rise, like TCP's congestion control and
 * Netflix's concurrency-limits: slow start (double each round) until the first sign of overload,
 * then additive increase, a decrease in proportion to how far latency rose (the gradient), and a
 * careful approach of the limit where overload was last seen.
 *
 * Pure and plain JSON, so it crosses continue-as-new inside the map's state. Time comes from the
 * caller (workflow time of each item's start and end); nothing here reads a clock.
 */

/** The bounds of an automatic limit. */
export interface AdaptiveBounds {
  min: number;
  max: number;
}

/** One finished item, as the controller sees it. */
export interface ConcurrencySample {
  /** Items start in index order: the item's index... */
  index: number;
  /** ...and how many items had started when it ended. */
  started: number;
  /** Workflow time the item started and ended (ms). */
  startedAt: number;
  endedAt: number;
  /** Succeeded on its first attempt; a failure or a retry counts as an error. */
  ok: boolean;
  /** Items running when it ended, itself included. */
  running: number;
  /** Items running when it started, itself included. */
  concurrency: number;
}

/** The controller's whole state. */
export interface AdaptiveState extends AdaptiveBounds {
  /** The current limit; fractional so that small steps add up. */
  limit: number;
  /** Doubling each round until the first overload. */
  slowStart: boolean;
  /** Latency without load: the best round's mean, drifting up slowly so a slower service is learnt. */
  baseline?: number;
  /** Items with a lower index had started by then, under the old limit: they are not measured. */
  sinceIndex: number;
  /** The limit before the last change, to return to when a rise overloads. */
  previous: number;
  /** The lowest limit that overloaded; approached one step per PROBE_ROUNDS rounds. */
  ceiling?: number;
  /** Good rounds at the limit just below `ceiling`. */
  calm: number;
  /** The round being measured. */
  round: Round;
}

/** What one round of samples showed. */
interface Round {
  samples: number;
  /** Sum of the latencies of the `measured` (successful) samples. */
  latency: number;
  measured: number;
  errors: number;
  /** Most items running at any end. */
  peak: number;
  /** Per concurrency at start (items in flight, itself included): items within the tolerated latency, and late or failed. */
  byConcurrency: Record<number, [fast: number, late: number]>;
}

/** A round's mean latency above baseline × this is overload. */
export const LATENCY_TOLERANCE = 1.5;
/** Share of errors in a round above which the limit drops. */
const ERROR_TOLERANCE = 0.05;
/** Factor of the limit after a round with too many errors. */
const ERROR_BACKOFF = 0.7;
/** The most one round may lower the limit. */
const MAX_DECREASE = 0.5;
/** Per round, the baseline may rise by this fraction. */
const BASELINE_DRIFT = 0.02;
/** Fewest samples in a round: small limits still measure more than one item. */
const MIN_ROUND = 5;
/** Good rounds just below the last overload before trying it again. */
const PROBE_ROUNDS = 30;
/** Default bounds of `maxParallel: auto`. */
export const DEFAULT_AUTO_BOUNDS: AdaptiveBounds = { min: 1, max: 200 };
/** The first limit, within the bounds. */
const INITIAL_LIMIT = 4;

/** Decides the limit of `maxParallel: auto` from the items that ended. */
export class AdaptiveConcurrency {
  private constructor(readonly state: AdaptiveState) {}

  static create(bounds: AdaptiveBounds): AdaptiveConcurrency {
    const limit = Math.max(bounds.min, Math.min(bounds.max, INITIAL_LIMIT));
    return new AdaptiveConcurrency({
      min: bounds.min,
      max: bounds.max,
      limit,
      previous: limit,
      slowStart: true,
      sinceIndex: 0,
      calm: 0,
      round: emptyRound(),
    });
  }

  static restore(state: AdaptiveState): AdaptiveConcurrency {
    return new AdaptiveConcurrency(state);
  }

  /** How many items may run now. */
  limit(): number {
    return Math.floor(this.state.limit);
  }

  /** Takes one finished item into the current round; a full round moves the limit. */
  record(sample: ConcurrencySample): void {
    const s = this.state;
    const r = s.round;
    // An item that started under an older limit says nothing about this one.
    if (sample.index < s.sinceIndex) return;
    r.samples++;
    r.peak = Math.max(r.peak, sample.running);
    const latency = Math.max(0, sample.endedAt - sample.startedAt);
    if (sample.ok) {
      r.measured++;
      r.latency += latency;
    } else r.errors++;
    if (s.baseline !== undefined) {
      const counts = (r.byConcurrency[sample.concurrency] ??= [0, 0]);
      counts[sample.ok && latency <= s.baseline * LATENCY_TOLERANCE ? 0 : 1]++;
    }
    if (r.samples >= Math.max(MIN_ROUND, this.limit())) this.endRound(sample);
  }

  private endRound(last: ConcurrencySample): void {
    const s = this.state;
    const r = s.round;
    s.round = emptyRound();
    const mean = r.measured > 0 ? r.latency / r.measured : undefined;
    if (mean !== undefined)
      s.baseline = s.baseline === undefined ? mean : Math.min(s.baseline * (1 + BASELINE_DRIFT), mean);
    const target = (s.baseline ?? 0) * LATENCY_TOLERANCE;
    if (r.errors > r.samples * ERROR_TOLERANCE) return this.overloaded(s.limit * ERROR_BACKOFF, last);
    if (mean !== undefined && mean > target) {
      // A rise that overloaded goes back to the most items in flight that kept latency (see heldAt),
      // at least to the limit before it, which held; else the limit drops by how far latency rose.
      if (s.limit <= s.previous) return this.overloaded(s.limit * Math.max(MAX_DECREASE, target / mean), last);
      const held = Math.max(s.previous, heldAt(r));
      return this.overloaded(held, last, held + 1);
    }
    // Grow only when the limit was used: a map with fewer items ready learns nothing about more.
    if (r.peak < this.limit()) return;
    // A probe of the ceiling that held lifts it.
    if (s.ceiling !== undefined && s.limit >= s.ceiling) s.ceiling = undefined;
    const step = s.slowStart ? s.limit : Math.max(1, Math.sqrt(s.limit));
    let next = s.limit + step;
    if (s.ceiling !== undefined && next >= s.ceiling) {
      // Near the last overload: halve the distance to it, and try it again only now and then.
      s.calm++;
      next = s.calm >= PROBE_ROUNDS ? s.ceiling : Math.max(s.limit, (s.limit + s.ceiling) / 2);
      if (s.calm >= PROBE_ROUNDS) s.calm = 0;
    }
    this.change(Math.min(s.max, next), last);
  }

  /** Lowers the limit to `to`, and remembers `ceiling` as where overload begins. */
  private overloaded(to: number, last: ConcurrencySample, ceiling = this.limit()): void {
    const s = this.state;
    s.slowStart = false;
    s.ceiling = Math.max(s.min + 1, Math.min(this.limit(), ceiling));
    s.calm = 0;
    this.change(Math.max(s.min, Math.min(s.limit - 1, to)), last);
  }

  private change(limit: number, last: ConcurrencySample): void {
    const s = this.state;
    if (Math.floor(limit) === this.limit() && limit >= s.limit) {
      s.limit = limit;
      return;
    }
    s.previous = s.limit;
    s.limit = limit;
    s.sinceIndex = last.started;
    s.round = emptyRound();
  }
}

/** Share of late items up to a concurrency that still counts as held (one lucky or unlucky item is noise). */
const LATE_SHARE = 0.1;

/**
 * The most items in flight at which a round's items kept their latency: the highest concurrency c
 * such that at most LATE_SHARE of the items started at c or fewer were late. A service that holds
 * 20 at once and was tried at 32 gives 20, even when a few items at 30 were lucky.
 */
function heldAt(r: Round): number {
  let held = 0;
  let all = 0;
  let late = 0;
  const levels = Object.keys(r.byConcurrency)
    .map(Number)
    .sort((a, b) => a - b);
  for (const c of levels) {
    all += r.byConcurrency[c][0] + r.byConcurrency[c][1];
    late += r.byConcurrency[c][1];
    if (late <= all * LATE_SHARE) held = c;
  }
  return held;
}

function emptyRound(): Round {
  return { samples: 0, latency: 0, measured: 0, errors: 0, peak: 0, byConcurrency: {} };
}
