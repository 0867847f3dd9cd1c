import fc from 'fast-check';
import { Pacer } from '../../src/core/schedule/pacer';

/** The start times a pacer gives requests that arrive at `arrivals` (ms, in order). */
function starts(arrivals: number[], rate: number, burst?: number): number[] {
  const pacer = new Pacer();
  return arrivals.map((at) => at + pacer.book(at, rate, burst));
}

/** The most starts in any window of `ms`. */
function mostIn(ms: number, times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('Pacer', () => {
  it('spaces 40 requests that arrive at once 50 ms apart at 20/s: 20 in the first second, not 40', () => {
    const times = starts(Array(40).fill(0), 20);
    expect(times.slice(0, 3)).toEqual([0, 50, 100]);
    expect(mostIn(1000, times)).toBe(20);
    expect(times[39]).toBe(1950);
  });

  it('lets `burst` start at once, then spaces the rest', () => {
    expect(starts(Array(7).fill(0), 10, 5)).toEqual([0, 0, 0, 0, 0, 100, 200]);
  });

  it('is idle once every booked start is past, and then acts as a new pacer', () => {
    const pacer = new Pacer();
    expect(pacer.book(0, 10)).toBe(0);
    expect(pacer.book(0, 10)).toBe(100);
    expect(pacer.idleAt(150)).toBe(false);
    expect(pacer.idleAt(200)).toBe(true);
    expect(pacer.book(200, 10)).toBe(new Pacer().book(200, 10));
  });

  it('makes requests under the rate wait for nothing', () => {
    expect(starts([0, 100, 200, 1000, 5000], 5)).toEqual([0, 200, 400, 1000, 5000]);
    expect(starts([0, 300, 600, 900], 3)).toEqual([0, 334, 667, 1000]);
  });

  it('for any arrivals, rate and burst: never starts one early, and starts at most rate + burst - 1 in any second', () =>
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (raw, rate, burst) => {
          const arrivals = [...raw].sort((a, b) => a - b);
          const times = starts(arrivals, rate, burst);
          times.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(arrivals[i]));
          expect(mostIn(1000, times)).toBeLessThanOrEqual(rate + burst - 1);
        },
      ),
    ));
});
