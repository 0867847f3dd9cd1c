import { Plan, planWarnings } from '../../src/core';
import { isSharded, pickShard, SHARD_ACTIVITIES, SHARD_SIZE, shardShares } from '../../src/core/schedule/shards';
import { HEARTBEAT_BUDGET, heartbeatSpacing, wideItemHeartbeatMs } from '../../src/core/schedule/heartbeats';

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
    // Shards of SHARD_SIZE (what sharded maps use since the `small-shards` patch): 100 for 10,000.
    expect(shardShares(3000, 1, SHARD_SIZE)).toHaveLength(30);
    expect(shardShares(10_000, 1, SHARD_SIZE)).toEqual(Array(100).fill(100));
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

describe('heartbeats of thousands of steps in one worker', () => {
  it('keeps the worker throttle up to 200 steps, spaces them above, within a third of the timeout', () => {
    expect(HEARTBEAT_BUDGET).toBe(200);
    expect(heartbeatSpacing(50, 10_000)).toBeLessThanOrEqual(1_000);
    expect(heartbeatSpacing(200, 10_000)).toBe(1_000);
    expect(heartbeatSpacing(1_000, 10_000)).toBeCloseTo(3_333, 0);
    expect(heartbeatSpacing(3_000, 45_000)).toBe(15_000);
    expect(heartbeatSpacing(10_000, 2_000)).toBeCloseTo(667, 0);
    expect(heartbeatSpacing(10_000, undefined)).toBe(10_000);
  });

  it("gives a wide map's items a heartbeat timeout that keeps 3,000 of them to the budget", () => {
    expect(wideItemHeartbeatMs(100)).toBe(10_000);
    expect(wideItemHeartbeatMs(501)).toBe(10_000);
    expect(wideItemHeartbeatMs(3_000)).toBe(45_000);
    // 3,000 steps at that timeout send the budget, no more.
    expect((3_000 / heartbeatSpacing(3_000, wideItemHeartbeatMs(3_000))) * 1_000).toBeLessThanOrEqual(HEARTBEAT_BUDGET);
    expect(wideItemHeartbeatMs(10_000)).toBe(150_000);
  });
});
