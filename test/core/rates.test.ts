import { formatRate, parseRate } from '../../src/core/plan/rates';
import { undeclaredLimits, validatePlan } from '../../src/core';

describe('rates of named limits', () => {
  it('reads per second, minute and hour, and refuses anything else', () => {
    expect(parseRate('20/s')).toBe(20);
    expect(parseRate('600/m')).toBe(10);
    expect(parseRate('10000/h')).toBeCloseTo(2.7778, 3);
    expect(parseRate(' 1.5 / s ')).toBe(1.5);
    for (const bad of ['0/s', '20', '20/d', '-1/s', '1e3/s', '200000/s']) expect(parseRate(bad)).toBeUndefined();
  });

  it('prints a rate in the unit that reads best', () => {
    expect([formatRate(20), formatRate(0.5), formatRate(1 / 3600)]).toEqual(['20/s', '30/m', '1/h']);
  });
});

describe('plans with rate limits', () => {
  const shell = { type: 'shell', command: ['true'] };

  it('names the limits a plan uses but does not declare, and refuses a key without a limit', () => {
    const ok = validatePlan({
      limits: { api: { rate: '20/s', perKey: '5/s' } },
      tasks: [
        { id: 'a', rateLimit: 'api', rateKey: '{{task.id}}', run: shell },
        { id: 'b', rateLimit: 'search', run: shell },
      ],
    });
    expect(ok.ok && undeclaredLimits(ok.value)).toEqual(['search']);
    const bad = validatePlan({
      limits: { api: { rate: 'fast' } },
      tasks: [{ id: 'a', rateKey: 'k', run: shell }],
    });
    expect(bad.ok ? [] : bad.error).toEqual([expect.stringMatching(/^limits\.api\.rate: bad rate "fast": use/)]);
    const noLimit = validatePlan({ tasks: [{ id: 'a', rateKey: 'k', run: shell }] });
    expect(noLimit.ok ? [] : noLimit.error).toEqual(['task "a": rateKey needs a rateLimit to count under']);
  });
});
