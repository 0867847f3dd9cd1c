import { Plan, Scheduler, validatePlan, type PlanInput } from '../../src/core';

const shell = { type: 'shell', command: ['true'] } as const;

/** A plan of `n` independent tasks under `maxConcurrency: auto`; `estimate(i)` as text, if any. */
function autoPlan(n: number, estimate?: (i: number) => string, bounds?: PlanInput['maxConcurrencyAuto']) {
  return Plan.parse({
    maxConcurrency: 'auto',
    ...(bounds ? { maxConcurrencyAuto: bounds } : {}),
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      run: shell,
      ...(estimate ? { estimate: estimate(i) } : {}),
    })),
  });
}

/**
 * Runs a plan in virtual time against a service: a task takes `duration(i, inFlight)` ms, inFlight
 * being the tasks running at its start, itself included; `attempts(i)` is what it reports. Returns
 * M after every end and the most tasks ever running.
 */
function play(
  plan: Plan,
  duration: (i: number, inFlight: number) => number,
  attempts: (i: number) => number = () => 1,
) {
  const s = Scheduler.create(plan, { auto: plan.maxConcurrencyAuto });
  const running: Array<{ id: string; i: number; end: number }> = [];
  const limits: number[] = [];
  let now = 0;
  let most = 0;
  while (!s.isDone()) {
    for (let id = s.next(now); id !== undefined; id = s.next(now)) {
      s.start(id, now);
      const i = s.graph.index[id];
      running.push({ id, i, end: now + duration(i, running.length + 1) });
    }
    most = Math.max(most, running.length);
    running.sort((a, b) => a.end - b.end || a.i - b.i);
    const ended = running.shift() as (typeof running)[number];
    now = ended.end;
    s.succeed(ended.id, { endedAt: now, attempts: attempts(ended.i) });
    limits.push(s.state.maxConcurrency);
  }
  return { limits, most, scheduler: s };
}

describe('maxConcurrency: auto (the run)', () => {
  it('parses with its bounds, parses again to itself, and refuses bounds without auto in one line', () => {
    const plan = autoPlan(3, undefined, { min: 2, max: 30 });
    expect([plan.maxConcurrency, plan.maxConcurrencyAuto]).toEqual([30, { min: 2, max: 30 }]);
    expect(Plan.parse(plan)).toEqual(plan);
    expect(autoPlan(1).maxConcurrencyAuto).toEqual({ min: 1, max: 200 });
    const refused = validatePlan({
      maxConcurrency: 8,
      maxConcurrencyAuto: { max: 30 },
      tasks: [{ id: 'a', run: shell }],
    });
    expect(refused).toEqual({
      ok: false,
      error: [
        'maxConcurrencyAuto: maxConcurrencyAuto is for "maxConcurrency": "auto": set that, or remove maxConcurrencyAuto',
      ],
    });
    const big = validatePlan({
      maxConcurrency: 'auto',
      maxConcurrencyAuto: { max: 900 },
      tasks: [{ id: 'a', run: shell }],
    });
    expect(big).toEqual({
      ok: false,
      error: ['maxConcurrencyAuto.max: must be at most 500: one run keeps at most 500 tasks running'],
    });
  });

  it('settles between 15 and 30 against a service whose latency triples above 20 at once, never above its max', () => {
    const run = play(autoPlan(600, undefined, { min: 1, max: 64 }), (_, inFlight) => (inFlight <= 20 ? 1000 : 3000));
    const late = run.limits.slice(300);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...late)).toBeLessThanOrEqual(30);
    expect(run.most).toBeLessThanOrEqual(64);
  });

  it('measures each task against its own estimate: mixed lengths that keep their estimates grow M to its max', () => {
    // One task in four takes 10 s, the others 1 s; each as estimated, and the service never slows.
    const long = (i: number) => i % 4 === 0;
    const plan = autoPlan(400, (i) => (long(i) ? '10s' : '1s'), { min: 1, max: 40 });
    const run = play(plan, (i) => (long(i) ? 10_000 : 1_000));
    expect(run.limits.slice(200).every((m) => m === 40)).toBe(true);
    // The same lengths without estimates read as latency that rose: M stays lower.
    const blind = play(autoPlan(400, undefined, { min: 1, max: 40 }), (i) => (long(i) ? 10_000 : 1_000));
    expect(Math.min(...blind.limits.slice(200))).toBeLessThan(40);
  });

  it('lowers M when tasks need retries (429s, timeouts), and keeps it low while they go on', () => {
    const run = play(
      autoPlan(300, undefined, { min: 1, max: 100 }),
      () => 1000,
      (i) => (i >= 100 && i % 5 === 0 ? 2 : 1),
    );
    const before = run.limits[90];
    const after = run.limits.slice(200);
    expect(before).toBeGreaterThanOrEqual(32);
    expect(Math.max(...after)).toBeLessThan(before);
  });

  it('grows only while M is used: a chain never raises it', () => {
    const plan = Plan.parse({
      maxConcurrency: 'auto',
      tasks: Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, run: shell, dependsOn: i ? [`t${i - 1}`] : [] })),
    });
    const run = play(plan, () => 1000);
    expect(new Set(run.limits)).toEqual(new Set([4]));
  });

  it('set-concurrency pins M: the controller stops and progress no longer says auto', () => {
    const run = play(autoPlan(20), () => 1000);
    const s = run.scheduler;
    expect(s.state.auto).toBeDefined();
    s.setConcurrency(7);
    expect(s.state.auto).toBeUndefined();
    expect(s.state.maxConcurrency).toBe(7);
  });
});
