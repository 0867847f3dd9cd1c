import {
  AdaptiveConcurrency,
  fairnessKeyOf,
  MapSpec,
  Plan,
  planWarnings,
  runPriority,
  validatePlan,
  type ItemResult,
} from '../../src/core';
import { MapMachine } from '../../src/core/schedule/map';

/**
 * A virtual service: an item takes `latency(concurrency)` ms, where concurrency counts the items in
 * flight when it starts. Runs `total` items under the controller (or a fixed limit) in virtual time.
 */
function simulate(
  total: number,
  latency: (concurrency: number, index: number) => number,
  options: { fixed?: number; fail?: (index: number, at: number) => boolean; max?: number } = {},
) {
  const c = AdaptiveConcurrency.create({ min: 1, max: options.max ?? 200 });
  const limit = () => options.fixed ?? c.limit();
  let now = 0;
  let next = 0;
  const running: Array<{ index: number; start: number; end: number; concurrency: number }> = [];
  const limits: number[] = [];
  for (let done = 0; done < total; done++) {
    while (next < total && running.length < limit()) {
      const concurrency = running.length + 1;
      running.push({ index: next, start: now, end: now + latency(concurrency, next), concurrency });
      next++;
    }
    running.sort((a, b) => a.end - b.end || a.index - b.index);
    const item = running.shift() as (typeof running)[number];
    now = item.end;
    const ok = !(options.fail?.(item.index, now) ?? false);
    c.record({
      index: item.index,
      started: next,
      startedAt: item.start,
      endedAt: now,
      ok,
      running: running.length + 1,
      concurrency: item.concurrency,
    });
    limits.push(c.limit());
  }
  return { throughput: (total * 1000) / now, limits, state: c.state };
}

const knee = (at: number, slow: number) => (concurrency: number) => (concurrency <= at ? 1000 : slow);

describe('maxParallel: auto (the controller)', () => {
  it('finds a service whose latency jumps above 20 at once and stays between 15 and 30', () => {
    const run = simulate(1000, knee(20, 3000));
    const late = run.limits.slice(500);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...late)).toBeLessThanOrEqual(30);
  });

  it('gets at least 80% of the best fixed limit, and more than a limit guessed too high or too low', () => {
    const best = Math.max(...[10, 20, 40].map((fixed) => simulate(1000, knee(20, 3000), { fixed }).throughput));
    const auto = simulate(1000, knee(20, 3000)).throughput;
    expect(auto).toBeGreaterThanOrEqual(0.8 * best);
    expect(auto).toBeGreaterThan(simulate(1000, knee(20, 3000), { fixed: 40 }).throughput);
    expect(auto).toBeGreaterThan(simulate(1000, knee(20, 3000), { fixed: 10 }).throughput);
  });

  it('grows to its max while latency holds, and never past it', () => {
    const run = simulate(2000, () => 500, { max: 64 });
    expect(run.limits.at(-1)).toBe(64);
    expect(Math.max(...run.limits)).toBe(64);
  });

  it('backs off when errors rise, and recovers once they stop', () => {
    const failing = (index: number) => index >= 300 && index < 600 && index % 3 === 0;
    const run = simulate(1500, () => 500, { fail: failing, max: 50 });
    expect(Math.min(...run.limits.slice(350, 600))).toBeLessThanOrEqual(5);
    expect(run.limits.at(-1)).toBe(50);
  });

  it('learns a service that got slower for good instead of shrinking forever', () => {
    const run = simulate(3000, (c, index) => (index < 500 ? 200 : 600) * (c <= 30 ? 1 : 3));
    expect(Math.min(...run.limits.slice(2500))).toBeGreaterThanOrEqual(15);
  });

  it('is deterministic and its state is plain JSON (it crosses continue-as-new)', () => {
    const a = simulate(800, knee(20, 3000));
    const b = simulate(800, knee(20, 3000));
    expect(a.limits).toEqual(b.limits);
    expect(JSON.parse(JSON.stringify(a.state))).toEqual(a.state);
    const restored = AdaptiveConcurrency.restore(JSON.parse(JSON.stringify(a.state)));
    expect(restored.limit()).toBe(a.limits.at(-1));
  });
});

describe('maxParallel: auto in a map', () => {
  const spec = (input: Record<string, unknown>) => MapSpec.parse({ items: [], ...input });
  const result = (index: number, durationMs: number): ItemResult => ({
    index,
    item: index,
    ok: true,
    output: '',
    json: null,
    attempts: 1,
    durationMs,
  });

  it('starts at 4 within its bounds, grows as items end fast, and a fixed maxParallel set live ends it', () => {
    const m = MapMachine.create(spec({ maxParallel: 'auto', auto: { min: 2, max: 6 } }), 100, 50);
    const started = (): number[] => {
      const out: number[] = [];
      for (let i = m.next(); i !== undefined; i = m.next()) out.push(i);
      return out;
    };
    expect(started()).toEqual([0, 1, 2, 3]);
    expect(m.progress()).toMatchObject({ maxParallel: 4, auto: true });
    // Every item takes 100 ms: they end in the order they started.
    const startedAt: Record<number, number> = { 0: 1_000, 1: 1_000, 2: 1_000, 3: 1_000 };
    for (let i = 0; i < 30; i++) {
      const t = startedAt[i] + 100;
      m.record(result(i, 100), {}, t);
      for (const j of started()) startedAt[j] = t;
    }
    expect(m.progress().maxParallel).toBe(6);
    m.setMaxParallel(3);
    expect(m.progress()).toEqual(expect.objectContaining({ maxParallel: 3 }));
    expect(m.progress().auto).toBeUndefined();
  });

  it('is capped by the run M like a fixed maxParallel', () => {
    const m = MapMachine.create(spec({ maxParallel: 'auto' }), 100, 2);
    expect(m.progress().maxParallel).toBe(2);
  });

  it('is checked by the plan schema', () => {
    const tasks = (map: Record<string, unknown>) => [
      { id: 'm', map: { items: [1], ...map }, run: { type: 'shell', command: ['true'] } },
    ];
    expect(validatePlan({ tasks: tasks({ maxParallel: 'auto', auto: { min: 5, max: 50 } }) }).ok).toBe(true);
    const bad = validatePlan({ tasks: tasks({ maxParallel: 'auto', auto: { min: 9, max: 3 } }) });
    expect(bad.ok ? [] : bad.error.join('\n')).toMatch(/min must not be above max/);
    const word = validatePlan({ tasks: tasks({ maxParallel: 'lots' }) });
    expect(word.ok ? [] : word.error.join('\n')).toMatch(/"auto"/);
    const warned = planWarnings(Plan.parse({ tasks: tasks({ maxParallel: 'auto', auto: { max: 50 } }) }));
    expect(warned.join('\n')).toMatch(/map.maxParallel auto \(up to 50\) is more than the plan's maxConcurrency 4/);
  });
});

describe('run priority and fairness', () => {
  it('uses the run id as fairness key unless the plan or the start names one', () => {
    expect(runPriority({}, 'nightly-1')).toEqual({ fairnessKey: 'nightly-1' });
    const p = { priority: 2, fairness: { key: 'team-a', weight: 3 } };
    expect(runPriority(p, 'r')).toEqual({ priorityKey: 2, fairnessKey: 'team-a', fairnessWeight: 3 });
    expect(runPriority(p, 'r', { priority: 5, fairness: { weight: 0.5 } })).toEqual({
      priorityKey: 5,
      fairnessKey: 'team-a',
      fairnessWeight: 0.5,
    });
  });

  it('shortens a run id over 64 bytes to a key Temporal takes, distinct per id', () => {
    const a = fairnessKeyOf(`${'x'.repeat(100)}-a`);
    const b = fairnessKeyOf(`${'x'.repeat(100)}-b`);
    expect(new TextEncoder().encode(a).length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(new TextEncoder().encode(fairnessKeyOf('é'.repeat(60))).length).toBeLessThanOrEqual(64);
  });

  it('checks priority 1..5 and the fairness key and weight in plans', () => {
    const task = [{ id: 'a', run: { type: 'shell', command: ['true'] } }];
    expect(validatePlan({ priority: 1, fairness: { weight: 2 }, tasks: [{ ...task[0], queuePriority: 5 }] }).ok).toBe(
      true,
    );
    for (const bad of [
      { priority: 0 },
      { priority: 6 },
      { fairness: { key: 'k'.repeat(65) } },
      { fairness: { weight: 0 } },
    ]) {
      expect(validatePlan({ ...bad, tasks: task }).ok).toBe(false);
    }
    expect(validatePlan({ tasks: [{ ...task[0], queuePriority: 9 }] }).ok).toBe(false);
  });
});
