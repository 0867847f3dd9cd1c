import { MapSpec, simulate, validatePlan, type ItemResult } from '../../src/core';
import { MapMachine } from '../../src/core/schedule/map';
import { plan } from '../helpers';

const spec = (input: Record<string, unknown>) => MapSpec.parse({ items: [], ...input });
const result = (index: number, ok: boolean, json: unknown = null): ItemResult => ({
  index,
  item: `u${index}`,
  ok,
  output: '',
  json,
  attempts: 1,
  durationMs: 1,
  ...(ok ? {} : { error: `item ${index} broke` }),
});

/** Starts everything the machine allows and returns the indices. */
const startAll = (m: MapMachine) => {
  const started: number[] = [];
  for (let i = m.next(); i !== undefined; i = m.next()) started.push(i);
  return started;
};

describe('the map state machine', () => {
  it('starts items in order, never more than min(maxParallel, M) at once', () => {
    const m = MapMachine.create(spec({ maxParallel: 3 }), 10, 2);
    expect(startAll(m)).toEqual([0, 1]);
    m.record(result(0, true), {});
    expect(startAll(m)).toEqual([2]);
    m.setRunCap(8);
    expect(startAll(m)).toEqual([3]);
    m.setMaxParallel(5);
    expect(startAll(m)).toEqual([4, 5]);
  });

  it('stops once `until` holds over the results so far, and says what each number counts', () => {
    const m = MapMachine.create(
      spec({ maxParallel: 4, until: 'size(results.filter(r, r.ok && r.json.broken)) >= 2' }),
      100,
      10,
    );
    startAll(m);
    expect(m.record(result(0, true, { broken: true }), {})).toBeUndefined();
    expect(m.record(result(1, true, { broken: false }), {})).toBeUndefined();
    expect(m.record(result(2, true, { broken: true }), {})).toEqual({
      failed: false,
      reason: 'until condition met when 3 of 100 items had ended and 1 was running',
    });
    expect(m.next()).toBeUndefined();
    m.record({ ...result(3, false), cancelled: true }, {});
    expect(m.isDone()).toBe(true);
    expect(m.items()).toEqual({ total: 100, succeeded: 3, failed: 0, cancelled: 1, notStarted: 96 });
    expect(m.summary()).toBe(
      '100 items: 3 succeeded, 0 failed, 1 cancelled, 96 not started ' +
        '(stopped early: until condition met when 3 of 100 items had ended and 1 was running)',
    );
  });

  it('fails once failures pass the tolerance (a percentage of the total), listing the first ones', () => {
    const m = MapMachine.create(spec({ maxParallel: 10, toleratedFailures: '10%' }), 20, 10);
    startAll(m);
    expect(m.record(result(0, false), {})).toBeUndefined();
    expect(m.record(result(1, false), {})).toBeUndefined();
    expect(m.record(result(2, false), {})).toEqual({
      failed: true,
      reason: '3 items failed when 3 of 20 items had ended and 7 were running, over the 2 tolerated',
    });
    expect(m.summary()).toContain('  item 0 (u0): item 0 broke');
  });

  it('turns a condition that errors into a failed stop with the reason', () => {
    const m = MapMachine.create(spec({ until: 'last.json.missing' }), 5, 5);
    startAll(m);
    expect(m.record(result(0, true, {}), {})).toMatchObject({
      failed: true,
      reason: expect.stringMatching(/^until: condition failed/),
    });
  });

  it('keeps a bounded window of results for conditions, and none when they do not read it', () => {
    const reads = MapMachine.create(spec({ maxParallel: 1, until: 'size(results) > 100000' }), 3000, 1);
    const blind = MapMachine.create(spec({ maxParallel: 1, while: 'failed < 10' }), 3000, 1);
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 3000; i++) {
      for (const m of [reads, blind]) {
        m.next();
        m.record({ ...result(i, true), output: big }, {});
      }
    }
    expect(JSON.stringify(reads.state.window).length).toBeLessThanOrEqual(512 * 1024);
    expect(reads.state.window.at(-1)?.index).toBe(2999);
    expect(blind.state.window).toEqual([]);
  });
});

describe('maps in validate and simulate', () => {
  it('checks item templates and conditions, naming the task and field', () => {
    const problems = validatePlan({
      params: { n: {} },
      tasks: [
        { id: 'a', run: { type: 'shell', command: ['echo', '{{item}}'] } },
        {
          id: 'm',
          map: { items: '{{tasks.a.json}}', until: 'size(results', while: 'ok' },
          run: { type: 'shell', command: ['echo', '{{item.url}}', '{{index}}', '{{tasks.b.results}}'] },
        },
        { id: 'b', run: { type: 'shell', command: ['true'] } },
        { id: 'x', map: { items: { range: [0, 5, 0] } }, run: { type: 'shell', command: ['true'] } },
        { id: 'huge', map: { items: { range: [0, 1e12] } }, run: { type: 'shell', command: ['true'] } },
        { id: 'max', map: { items: { range: [0, 3_000_000, 3] } }, run: { type: 'shell', command: ['true'] } },
      ],
    });
    expect(problems.ok).toBe(false);
    const text = problems.ok ? '' : problems.error.join('\n');
    expect(text).toContain('task "x": map.items.range: [start, end] or [start, end, step] with step >= 1\n');
    // A range that cannot run is refused before it starts, in one line (1,000,000 items run).
    expect(text).toContain(
      'task "huge": map.items.range: a map has at most 1,000,000 items: split the range into several maps',
    );
    expect(text).not.toContain('task "max"');
    const fixed = validatePlan({
      tasks: [
        { id: 'a', run: { type: 'shell', command: ['echo', '{{item}}'] } },
        {
          id: 'm',
          map: { items: '{{tasks.a.json}}', until: 'size(results' },
          run: { type: 'shell', command: ['echo', '{{item.url}}', '{{index}}', '{{tasks.b.results}}'] },
        },
        { id: 'b', run: { type: 'shell', command: ['true'] } },
      ],
    });
    const lines = fixed.ok ? [] : fixed.error;
    expect(lines).toEqual([
      'task "a": run.command[1]: {{item}} is only known in the steps of a map: add "map" to the task',
      'task "m": run.command[3]: {{tasks.b.results}}: task "b" is not a dependency of "m", so it may not have run yet: add it to dependsOn',
      'task "m": map.items: {{tasks.a.json}}: task "a" is not a dependency of "m", so it may not have run yet: add it to dependsOn',
      expect.stringMatching(/^task "m": map\.until: not a valid CEL expression/),
    ]);
  });

  it('refuses steps a batch cannot run', () => {
    const r = validatePlan({
      tasks: [{ id: 'b', map: { items: [1, 2], batch: 5 }, run: { type: 'sleep', duration: '1s' } }],
    });
    expect(r.ok ? [] : r.error).toEqual([
      'task "b": map.batch: a batch runs shell, http, llm steps, not sleep: use batch 1',
    ]);
  });

  it('simulates a map of known size as its items, in waves', () => {
    const p = plan({
      maxConcurrency: 4,
      tasks: [
        {
          id: 'm',
          estimate: '1s',
          map: { items: { range: [0, 10] }, maxParallel: 5 },
          run: { type: 'sleep', duration: '1s' },
        },
        { id: 'after', dependsOn: ['m'], estimate: '1s', run: { type: 'sleep', duration: '1s' } },
      ],
    });
    // 10 items, 4 at a time (M caps maxParallel): 3 waves, then `after`.
    expect(simulate(p, 'critical-path').makespanMs).toBe(4_000);
  });
});
