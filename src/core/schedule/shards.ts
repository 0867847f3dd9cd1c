/**
 * How a wide map splits its items in flight across shard workflows. Temporal refuses more than
 * 2,000 pending activities in one workflow and advises at most 500, so a map that may hold more
 * than SHARD_ACTIVITIES activities at once runs its items in shard workflows (`RUN/TASK/s0`, `s1`,
 * ...) of at most that many each. The map itself keeps the counts and every decision; a shard only
 * runs the items the map hands it. Pure: the workflow asks, and does what the answer says.
 */
import type { LimitUses } from '../report/limitUse';
import type { Usage } from '../plan/plan';
import type { ItemResult } from './map';

/** An item's end as a shard reports it to its map: the result, and what its llm steps cost. */
export interface ItemEnd {
  result: ItemResult;
  usage?: Usage;
  /** Its steps' use of named rate limits. */
  limits?: LimitUses;
}

/** Ends a shard reports in one signal. */
export interface ShardEnds {
  shard: number;
  ends: ItemEnd[];
}

/** Activities one workflow holds at most before a map shards: Temporal's advised ceiling per workflow. */
export const SHARD_ACTIVITIES = 500;

/**
 * Activities each shard holds once a map shards. The server takes one workflow's lock for every
 * start, heartbeat and completion of its activities, and each such update costs in proportion to
 * the workflow's pending activities: six shards of 500 held 3,000 requests at a time at twice the
 * server CPU of thirty shards of 100 (measured with 3,000 requests held 20 s each).
 */
export const SHARD_SIZE = 100;

/**
 * Whether a map with this declared maxParallel runs in shards: when its activities in flight (items
 * over `batch`, since a batch is one activity) may pass what one workflow should hold.
 */
export function isSharded(maxParallel: number, batch: number, size = SHARD_ACTIVITIES): boolean {
  return Math.ceil(maxParallel / batch) > size;
}

/**
 * Each shard's share of `cap` items in flight: the fewest shards that hold `cap`, split evenly
 * (the first ones take the remainder), so no shard holds more than `size` activities.
 */
export function shardShares(cap: number, batch: number, size = SHARD_ACTIVITIES): number[] {
  const count = Math.max(1, Math.ceil(cap / (size * batch)));
  const base = Math.floor(cap / count);
  return Array.from({ length: count }, (_, k) => base + (k < cap % count ? 1 : 0));
}

/**
 * The shard to give the next item: the one with the most room under its share of `cap`, or
 * undefined when none has room. `running[k]` counts the items shard k holds (granted, not yet
 * reported back). After `cap` falls, shards past the new count get nothing: they finish what they
 * hold, and the others take the new shares (a `set-concurrency --task` redistributes this way).
 */
export function pickShard(running: readonly number[], shares: readonly number[]): number | undefined {
  let best: number | undefined;
  let bestRoom = 0;
  for (let k = 0; k < shares.length; k++) {
    const room = shares[k] - (running[k] ?? 0);
    if (room > bestRoom) {
      best = k;
      bestRoom = room;
    }
  }
  return best;
}
