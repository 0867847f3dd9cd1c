import { Plan, Scheduler, type PlanInput } from '../../src/core';

const step = { type: 'sleep', duration: 10 } as const;
const t = (id: string, dependsOn: string[] = [], extra: Partial<PlanInput['tasks'][number]> = {}) => ({
  id,
  dependsOn,
  run: step,
  ...extra,
});
const plan = (tasks: PlanInput['tasks'], extra: Partial<PlanInput> = {}) => Plan.parse({ tasks, ...extra });

/** Starts everything the scheduler allows, returning the ids in start order. */
function startAll(s: Scheduler, now = 0): string[] {
  const started: string[] = [];
  for (let id = s.next(); id !== undefined; id = s.next()) {
    s.start(id, now);
    started.push(id);
  }
  return started;
}

describe('scheduler', () => {
  it('releases a task only when all its dependencies succeeded', () => {
    const s = Scheduler.create(plan([t('a'), t('b'), t('c', ['a', 'b'])]));
    expect(startAll(s)).toEqual(['a', 'b']);
    s.succeed('a', { endedAt: 1 });
    expect(s.next()).toBeUndefined();
    s.succeed('b', { endedAt: 2 });
    expect(startAll(s)).toEqual(['c']);
    s.succeed('c', { endedAt: 3 });
    expect(s.isDone()).toBe(true);
    expect(s.status()).toBe('succeeded');
  });

  it('starts the longest remaining path first under critical-path', () => {
    const p = plan(
      [t('short', [], { estimate: 1000 }), t('long', [], { estimate: 1000 }), t('tail', ['long'], { estimate: 5000 })],
      { maxConcurrency: 1 },
    );
    expect(startAll(Scheduler.create(p))).toEqual(['long']);
    expect(startAll(Scheduler.create(p, { policy: 'fifo' }))).toEqual(['short']);
  });

  it('lists ready tasks best first, including those held back by a limit', () => {
    const p = plan(
      [
        t('small', [], { estimate: 100 }),
        t('big', [], { estimate: 9000, group: 'g' }),
        t('mid', [], { estimate: 500, group: 'g' }),
      ],
      { maxConcurrency: 3, groups: { g: { maxConcurrency: 1 } } },
    );
    const s = Scheduler.create(p);
    expect(s.ready()).toEqual(['big', 'mid', 'small']);
    expect(startAll(s)).toEqual(['big', 'small']);
    expect(s.ready()).toEqual(['mid']);
  });

  it('breaks ties with the user priority', () => {
    const p = plan([t('a'), t('b', [], { priority: 5 })], { maxConcurrency: 1 });
    expect(startAll(Scheduler.create(p))).toEqual(['b']);
  });

  it('keeps a level barrier under levels', () => {
    const p = plan([t('a', [], { estimate: 100 }), t('b', [], { estimate: 5000 }), t('c', ['a'])], {
      maxConcurrency: 3,
    });
    const s = Scheduler.create(p, { policy: 'levels' });
    expect(startAll(s)).toEqual(['a', 'b']);
    s.succeed('a', { endedAt: 1 });
    expect(s.next()).toBeUndefined(); // c is ready but b (level 0) still runs
    s.succeed('b', { endedAt: 2 });
    expect(startAll(s)).toEqual(['c']);
  });

  it('respects M, group limits and resource mutexes', () => {
    const p = plan(
      [
        t('g1', [], { group: 'db' }),
        t('g2', [], { group: 'db' }),
        t('r1', [], { resources: ['file:x'] }),
        t('r2', [], { resources: ['file:x'] }),
        t('free'),
      ],
      { maxConcurrency: 10, groups: { db: { maxConcurrency: 1 } } },
    );
    const s = Scheduler.create(p);
    expect(startAll(s).sort()).toEqual(['free', 'g1', 'r1']);
    s.succeed('g1', { endedAt: 1 });
    expect(startAll(s)).toEqual(['g2']);
    s.succeed('r1', { endedAt: 1 });
    expect(startAll(s)).toEqual(['r2']);
  });

  it('skips everything downstream of a failure and lets independent work go on', () => {
    const s = Scheduler.create(plan([t('a'), t('b', ['a']), t('c', ['b']), t('x')]));
    startAll(s);
    expect(s.fail('a', { endedAt: 1, error: 'boom' })).toEqual([]);
    expect(s.task('b')).toMatchObject({ status: 'skipped', reason: 'skipped because "a" failed' });
    expect(s.task('c')).toMatchObject({ status: 'skipped', reason: 'skipped because "a" failed' });
    expect(s.task('x').status).toBe('running');
    s.succeed('x', { endedAt: 2 });
    expect(s.status()).toBe('failed');
    expect(s.state.counts).toMatchObject({ succeeded: 1, failed: 1, skipped: 2 });
  });

  it('fails fast: stops new starts and names the running tasks to cancel', () => {
    const s = Scheduler.create(
      plan([t('a'), t('b'), t('c', ['b']), t('d')], { onFailure: 'fail-fast', maxConcurrency: 2 }),
    );
    startAll(s);
    expect(s.fail('a', { endedAt: 1 })).toEqual(['b']);
    expect(s.next()).toBeUndefined();
    expect(s.task('d')).toMatchObject({
      status: 'skipped',
      reason: 'not started: run failed fast after task "a" failed',
    });
    s.cancelled('b', { endedAt: 2 });
    expect(s.isDone()).toBe(true);
    expect(s.status()).toBe('failed');
  });

  it('turns into fail-fast once toleratedFailures is exceeded', () => {
    const s = Scheduler.create(plan([t('a'), t('b'), t('c'), t('d')], { toleratedFailures: 1, maxConcurrency: 3 }));
    startAll(s);
    expect(s.fail('a', { endedAt: 1 })).toEqual([]);
    expect(s.fail('b', { endedAt: 1 })).toEqual(['c']);
    expect(s.task('d').status).toBe('skipped');
    const pct = Scheduler.create(
      plan([t('a'), t('b'), t('c'), t('d')], { toleratedFailures: '50%', maxConcurrency: 4 }),
    );
    startAll(pct);
    expect(pct.fail('a', { endedAt: 1 })).toEqual([]);
    expect(pct.fail('b', { endedAt: 1 })).toEqual([]);
    expect(pct.fail('c', { endedAt: 1 })).toEqual(['d']);
  });

  it('cancels: pending tasks are cancelled, running ones are returned', () => {
    const s = Scheduler.create(plan([t('a'), t('b', ['a'])]));
    startAll(s);
    expect(s.cancel('user said so')).toEqual(['a']);
    expect(s.task('b')).toMatchObject({ status: 'cancelled', reason: 'run cancelled: user said so' });
    s.cancelled('a', { endedAt: 1 });
    expect(s.status()).toBe('cancelled');
  });

  it('pauses, resumes and changes M', () => {
    const s = Scheduler.create(plan([t('a'), t('b'), t('c')], { maxConcurrency: 1 }));
    s.pause();
    expect(s.next()).toBeUndefined();
    s.resume();
    expect(startAll(s)).toHaveLength(1);
    s.setConcurrency(3);
    expect(startAll(s)).toHaveLength(2);
    expect(() => s.setConcurrency(0)).toThrow();
  });

  it('survives a JSON round trip of its state mid-run', () => {
    const p = plan([t('a'), t('b', ['a']), t('c', ['a'], { group: 'g' }), t('d', ['b', 'c'])], {
      groups: { g: { maxConcurrency: 1 } },
    });
    const s = Scheduler.create(p);
    startAll(s);
    s.succeed('a', { endedAt: 1, output: 'x'.repeat(10_000) });
    expect(s.task('a').output).toHaveLength(2_000);
    const restored = Scheduler.restore(p, JSON.parse(JSON.stringify(s.state)));
    expect(startAll(restored).sort()).toEqual(['b', 'c']);
    restored.succeed('b', { endedAt: 2 });
    restored.succeed('c', { endedAt: 2 });
    expect(startAll(restored)).toEqual(['d']);
  });

  it('handles ids that look like object keys', () => {
    const s = Scheduler.create(plan([t('constructor', [], { resources: ['toString'] }), t('b', ['constructor'])]));
    expect(startAll(s)).toEqual(['constructor']);
    s.succeed('constructor', { endedAt: 1 });
    expect(startAll(s)).toEqual(['b']);
  });

  it('enforces groups and resources named like Object.prototype members', () => {
    const p = plan(
      [
        t('a', [], { group: 'constructor' }),
        t('b', [], { group: 'constructor' }),
        t('c', [], { resources: ['hasOwnProperty'] }),
        t('d', [], { resources: ['hasOwnProperty'] }),
      ],
      {
        maxConcurrency: 10,
        groups: { constructor: { maxConcurrency: 1 } },
      },
    );
    const s = Scheduler.create(p);
    expect(startAll(s).sort()).toEqual(['a', 'c']);
    const restored = Scheduler.restore(p, JSON.parse(JSON.stringify(s.state)));
    expect(startAll(restored)).toEqual([]);
    restored.succeed('a', { endedAt: 1 });
    restored.succeed('c', { endedAt: 1 });
    expect(startAll(restored).sort()).toEqual(['b', 'd']);
  });

  it('never leaves a free group slot unused when the task handed it parks on a resource', () => {
    // G allows 2. T needs G and x; W (x) becomes ready when g1 ends and, being more critical,
    // takes x first. T then parks on x, and U must get the group slot T did not use.
    const p = plan(
      [
        t('g1', [], { group: 'G', estimate: 1 }),
        t('g2', [], { group: 'G', estimate: 8 }),
        t('X', [], { resources: ['x'], estimate: 6 }),
        t('T', [], { group: 'G', resources: ['x'], estimate: 5 }),
        t('U', [], { group: 'G', estimate: 1 }),
        t('W', ['g1'], { resources: ['x'], estimate: 10 }),
      ],
      { maxConcurrency: 4, groups: { G: { maxConcurrency: 2 } } },
    );
    const s = Scheduler.create(p);
    expect(startAll(s)).toEqual(['g1', 'g2', 'X']);
    s.succeed('X', { endedAt: 1 });
    expect(startAll(s)).toEqual([]);
    s.succeed('g1', { endedAt: 2 });
    expect(startAll(s)).toEqual(['W', 'U']);
  });

  it('calls a run with a cancelled task failed, not succeeded', () => {
    const s = Scheduler.create(plan([t('a'), t('b', ['a']), t('c')]));
    startAll(s);
    s.cancelled('a', { endedAt: 1 });
    s.succeed('c', { endedAt: 1 });
    expect(s.isDone()).toBe(true);
    expect(s.status()).toBe('failed');
  });
});
