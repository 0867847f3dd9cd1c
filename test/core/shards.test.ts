import { Plan, planWarnings } from '../../src/core';
import { isSharded, pickShard, SHARD_ACTIVITIES, shardShares } from '../../src/core/schedule/shards';

describe('shards: how a wide map splits its items in flight', () => {
  it('shards a map only above 500 activities in flight, counting a batch as one', () => {
    expect(SHARD_ACTIVITIES).toBe(500);
    expect(isSharded(500, 1)).toBe(false);
    expect(isSharded(501, 1)).toBe(true);
    expect(isSharded(3000, 10)).toBe(false);
    expect(isSharded(60, 1, 20)).toBe(true);
  });

  it('splits a cap evenly over the fewest shards that hold it, none above the shard size', () => {
    expect(shardShares(3000, 1)).toEqual([500, 500, 500, 500, 500, 500]);
    expect(shardShares(1001, 1)).toEqual([334, 334, 333]);
    expect(shardShares(10_000, 1)).toHaveLength(20);
    expect(shardShares(100, 1)).toEqual([100]);
    expect(shardShares(3000, 2)).toEqual([1000, 1000, 1000]);
  });

  it('gives the next item to the shard with the most room, and none past a cut', () => {
    expect(pickShard([], [500, 500])).toBe(0);
    expect(pickShard([10, 3], [500, 500])).toBe(1);
    expect(pickShard([500, 500], [500, 500])).toBeUndefined();
    // After a cut to 100: one share left; shard 1 finishes what it holds and gets nothing more.
    expect(pickShard([120, 300], [100])).toBeUndefined();
    expect(pickShard([40, 300], [100])).toBe(0);
  });

  it('validate says why a plan of more than 2,000 tasks runs at most 2,000 at once under a larger M', () => {
    const tasks = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `t${i}`, run: { type: 'sleep', duration: 1 } }));
    expect(planWarnings(Plan.parse({ maxConcurrency: 3000, tasks: tasks(2001) }))).toEqual([
      "maxConcurrency 3000 runs at most 2000 tasks at once: each is a child workflow of the run and Temporal allows 2000 per workflow; an M above that is for maps' items, which run in shards",
    ]);
    expect(planWarnings(Plan.parse({ maxConcurrency: 3000, tasks: tasks(10) }))).toEqual([]);
  });
});
