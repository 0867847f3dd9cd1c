import { addLimitStart, limitLine, limitReports, limitSection, mergeLimitUses, WAITED_MS } from '../../src/core';

describe('the summary section of rate limits', () => {
  const t0 = 1_700_000_000_000;

  it('counts steps, those that waited over the threshold, the longest wait, and 429s, per limit', () => {
    let uses = addLimitStart(undefined, 'api', { waitMs: 20, startedAt: t0 });
    uses = addLimitStart(uses, 'api', { waitMs: WAITED_MS + 1, startedAt: t0 + 1_000 }, 2);
    uses = addLimitStart(uses, 'api', { waitMs: 7_000, startedAt: t0 + 2_000 });
    uses = addLimitStart(uses, 'search', { waitMs: 0, startedAt: t0 });
    expect(limitReports(uses)).toEqual([
      { name: 'api', started: 3, waited: 2, longestWaitMs: 7_000, ratePerSec: 1, throttled: 2 },
      { name: 'search', started: 1, waited: 0, longestWaitMs: 0, ratePerSec: null, throttled: 0 },
    ]);
  });

  it('merges what tasks, maps and shards report: sums, the longest wait, and the span of all starts', () => {
    const a = addLimitStart(addLimitStart(undefined, 'api', { waitMs: 500, startedAt: t0 + 4_000 }), 'api', {
      waitMs: 100,
      startedAt: t0 + 9_000,
    });
    const b = addLimitStart(undefined, 'api', { waitMs: 3_000, startedAt: t0 }, 1);
    const merged = mergeLimitUses(a, b);
    expect(merged).toEqual({
      api: { started: 3, waited: 2, longestWaitMs: 3_000, firstStartAt: t0, lastStartAt: t0 + 9_000, throttled: 1 },
    });
    expect(mergeLimitUses(undefined, undefined)).toBeUndefined();
    expect(mergeLimitUses(a, undefined)).toBe(a);
    // 3 starts over 9 s: two gaps, 0.22/s.
    expect(limitReports(merged)[0].ratePerSec).toBe(0.22);
  });

  it('is absent from a run none of whose steps used a limit, and reads as one line per limit', () => {
    expect(limitSection([{}, {}])).toEqual({});
    const uses = addLimitStart(addLimitStart(undefined, 'api', { waitMs: 7_200, startedAt: t0 }), 'api', {
      waitMs: 10,
      startedAt: t0 + 200,
    });
    const { limits } = limitSection([{ limits: uses }, {}]);
    expect(limits?.map(limitLine)).toEqual(['api: 2 steps, 1 waited (longest 7.2s), 5/s, 0 429s']);
    const none = limitReports(addLimitStart(undefined, 'api', { waitMs: 1, startedAt: t0 }));
    expect(limitLine(none[0])).toBe('api: 1 step, none waited, 0 429s');
  });
});
