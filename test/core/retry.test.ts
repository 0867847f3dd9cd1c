import { keptTasks, Plan, Scheduler, type TaskStatus } from '../../src/core';

const step = { type: 'sleep', duration: 10 } as const;
// Written out of order on purpose: "report" comes before what it depends on.
const plan = Plan.parse({
  tasks: [
    { id: 'report', dependsOn: ['b'], run: step },
    { id: 'a', run: step },
    { id: 'b', dependsOn: ['a'], run: step },
    { id: 'c', run: step },
    { id: 'd', dependsOn: ['c'], run: step },
  ],
  finally: [{ id: 'cleanup', run: step }],
});
const ended = (status: Record<string, TaskStatus>) =>
  plan.tasks.map((t) => ({ id: t.id, status: status[t.id] ?? 'succeeded', output: `${t.id} out` }));

describe('retry', () => {
  it('keeps what succeeded, except what follows a task that runs again; finally always runs again', () => {
    const kept = keptTasks(plan, ended({ a: 'failed', b: 'skipped', report: 'skipped' }));
    expect(Object.keys(kept).sort()).toEqual(['c', 'd']);
    expect(kept.c).toEqual({ output: 'c out' });
    expect(Object.keys(keptTasks(plan, ended({}), ['c'])).sort()).toEqual(['a', 'b', 'report']);
    expect(() => keptTasks(plan, ended({}), ['nope'])).toThrow('--from nope: the plan has no task "nope"');
  });

  it('a retried run starts with the kept tasks succeeded and their outputs in place', () => {
    const kept = keptTasks(plan, ended({ b: 'failed', report: 'skipped' }));
    const s = Scheduler.create(plan, { retry: { run: 'nightly-1', kept }, now: 5 });
    expect(s.ready().sort()).toEqual(['b']); // cleanup waits for the rest
    expect(s.task('a')).toMatchObject({ status: 'succeeded', output: 'a out', reason: 'kept: succeeded in nightly-1' });
    expect(s.state.counts).toMatchObject({ succeeded: 3, ready: 1, pending: 2 });
  });
});
