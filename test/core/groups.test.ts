import { Plan, progressOf, Scheduler, validatePlan, type PlanInput } from '../../src/core';
import { progressView } from '../../src/cli/render';

const step = { type: 'sleep', duration: 10 } as const;
const t = (id: string, dependsOn: string[] = [], group?: string) => ({ id, dependsOn, run: step, group });
const phased = (
  tasks: PlanInput['tasks'],
  phases: { before?: boolean; after?: boolean } = { before: true, after: true },
) =>
  ({
    tasks,
    groups: {
      api: {
        ...(phases.before ? { before: { type: 'shell', command: ['refresh-context'] } } : {}),
        ...(phases.after ? { after: { type: 'shell', command: ['validate'] } } : {}),
      },
    },
  }) as PlanInput;
const deps = (p: Plan) => Object.fromEntries(p.tasks.map((x) => [x.id, x.dependsOn]));

/** Starts what may start and ends it as `how` says (default: succeeded), until the run is over. */
function drive(s: Scheduler, how: Record<string, 'fail'> = {}): string[] {
  const order: string[] = [];
  for (let now = 1; !s.isDone(); now++) {
    const started: string[] = [];
    for (let id = s.next(); id !== undefined; id = s.next()) {
      s.start(id, now);
      started.push(id);
    }
    if (!started.length) throw new Error(`stuck after ${order.join(', ')}`);
    for (const id of started) {
      order.push(id);
      if (how[id] === 'fail') s.fail(id, { endedAt: now, error: 'boom' });
      else s.succeed(id, { endedAt: now });
    }
  }
  return order;
}

describe('group phases', () => {
  // setup -> {a, b -> c} in group api, plus a task outside that waits for c, and unrelated work.
  const tasks = [
    t('setup'),
    t('lint'),
    t('a', ['setup'], 'api'),
    t('b', ['setup', 'lint'], 'api'),
    t('c', ['b'], 'api'),
    t('docs', ['c']),
    t('other'),
  ];

  it('become tasks: before waits for what the whole group waits for, after for the group, dependents for after', () => {
    const p = Plan.parse(phased(tasks));
    expect(deps(p)).toMatchObject({
      'api:before': ['setup'],
      a: ['setup', 'api:before'],
      b: ['setup', 'lint', 'api:before'],
      c: ['b', 'api:before'],
      'api:after': ['a', 'b', 'c'],
      docs: ['c', 'api:after'],
      other: [],
    });
    const after = p.tasks.find((x) => x.id === 'api:after')!;
    expect(after).toMatchObject({ runIf: 'always', phase: { group: 'api', kind: 'after' }, title: 'api: after' });
    expect(after.run).toEqual({ type: 'shell', command: ['validate'] });
    // Plans are validated again inside workflows: the expanded plan must parse to itself.
    expect(Plan.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('run once, in order: before, the group, after, then what depends on the group', () => {
    const order = drive(Scheduler.create(Plan.parse(phased(tasks))));
    const at = (id: string) => order.indexOf(id);
    expect(order.filter((id) => id.startsWith('api:'))).toEqual(['api:before', 'api:after']);
    for (const m of ['a', 'b', 'c']) {
      expect(at('api:before')).toBeLessThan(at(m));
      expect(at(m)).toBeLessThan(at('api:after'));
    }
    expect(at('api:after')).toBeLessThan(at('docs'));
  });

  it('a failing before skips the group and what depends on it; independent work goes on', () => {
    const s = Scheduler.create(Plan.parse(phased(tasks)));
    drive(s, { 'api:before': 'fail' });
    const status = Object.fromEntries(s.plan.tasks.map((x, i) => [x.id, s.state.tasks[i].status]));
    expect(status).toMatchObject({ a: 'skipped', b: 'skipped', c: 'skipped', docs: 'skipped', other: 'succeeded' });
    expect(s.state.tasks[s.graph.index.a].reason).toBe('skipped because "api:before" failed');
  });

  it("a failing after skips the group's dependents, but the group's own work stands", () => {
    const s = Scheduler.create(Plan.parse(phased(tasks)));
    drive(s, { 'api:after': 'fail' });
    const status = Object.fromEntries(s.plan.tasks.map((x, i) => [x.id, s.state.tasks[i].status]));
    expect(status).toMatchObject({ a: 'succeeded', c: 'succeeded', 'api:after': 'failed', docs: 'skipped' });
    expect(s.status()).toBe('failed');
  });

  it('after runs even when a task of the group failed', () => {
    const s = Scheduler.create(Plan.parse(phased(tasks)));
    const order = drive(s, { a: 'fail' });
    expect(order).toContain('api:after');
    expect(s.state.tasks[s.graph.index.docs].status).toBe('succeeded');
  });

  it('status shows each group with its phase and how many of its tasks ended', () => {
    const s = Scheduler.create(Plan.parse(phased(tasks)));
    const phase = () => progressOf(s).groups?.[0];
    expect(phase()).toEqual({ name: 'api', phase: 'waiting', done: 0, failed: 0, total: 3 });
    s.start('setup', 1);
    s.succeed('setup', { endedAt: 2 });
    s.start('api:before', 2);
    expect(phase()?.phase).toBe('before');
    s.succeed('api:before', { endedAt: 3 });
    s.start('a', 3);
    s.fail('a', { endedAt: 4, error: 'boom' });
    expect(phase()).toMatchObject({ phase: 'tasks', done: 1, failed: 1 });
    expect(progressView(progressOf(s), 4, 4).join('\n')).toContain('◆ api  tasks 1/3 (1 failed)');
    expect(progressOf(Scheduler.create(Plan.parse({ tasks: [t('x')] }))).groups).toBeUndefined();
  });

  it('are refused, one clear line each, where they cannot work', () => {
    const problems = (input: PlanInput) => {
      const r = validatePlan(input);
      return r.ok ? [] : r.error;
    };
    expect(problems(phased([t('x')]))).toEqual([
      'groups.api: group "api" has before/after steps but no tasks: set "group": "api" on its tasks',
    ]);
    expect(problems(phased([t('a', [], 'api'), t('api:after')]))).toEqual([
      'groups.api: task id "api:after" is what ptq names group "api"\'s phase: rename that task',
    ]);
    // x sits between a and c: after(api) would have to run before c and after it.
    expect(problems(phased([t('a', [], 'api'), t('x', ['a']), t('c', ['x'], 'api')], { after: true }))).toEqual([
      'groups.api: task "x" depends on "a" of group "api" and another task of the group depends on it, so "after" could never run last: put "x" in the group',
    ]);
    // Only a before phase: the same plan is fine.
    expect(problems(phased([t('a', [], 'api'), t('x', ['a']), t('c', ['x'], 'api')], { before: true }))).toEqual([]);
  });
});
