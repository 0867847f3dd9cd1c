import fc from 'fast-check';
import { Plan, Scheduler } from '../../src/core';
import { fromCarried, toCarried } from '../../src/core/schedule/carried';
import { TASK_STATUSES } from '../../src/core/schedule/status';
import type { SchedulerState, TaskRecord } from '../../src/core/schedule/state';

/** What crosses continue-as-new: the value as JSON, as Temporal's payload carries it. */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const record: fc.Arbitrary<TaskRecord> = fc.record(
  {
    status: fc.constantFrom(...TASK_STATUSES),
    waitingOn: fc.nat(5),
    attempts: fc.nat(3),
    seq: fc.nat(),
    startedAt: fc.nat(),
    endedAt: fc.nat(),
    worker: fc.string(),
    output: fc.string(),
    error: fc.string(),
    json: fc.jsonValue(),
    reason: fc.string(),
    usage: fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat() }),
  },
  { requiredKeys: ['status', 'waitingOn', 'attempts'] },
) as fc.Arbitrary<TaskRecord>;

describe('the carried state (task records as columns)', () => {
  it('gives back exactly the records it was made of, for any mix of fields, null and absent values', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), (tasks) => {
        const state = { policy: 'fifo', paused: false, tasks } as unknown as SchedulerState;
        expect(fromCarried(viaJson(toCarried(state)))).toEqual(viaJson(state));
      }),
      { numRuns: 300 },
    );
  });

  it('is much smaller than records for a big run halfway, and a run restored from it goes on as before', () => {
    const tasks = Array.from({ length: 2_000 }, (_, i) => ({
      id: `t${i}`,
      dependsOn: i % 10 ? [`t${i - 1}`] : [],
      run: { type: 'sleep', duration: 1 },
    }));
    const plan = Plan.parse({ maxConcurrency: 50, tasks });
    const s = Scheduler.create(plan);
    const order: string[] = [];
    const step = (sch: Scheduler, n: number) => {
      for (let k = 0; k < n; k++) {
        for (let id = sch.next(); id !== undefined; id = sch.next()) sch.start(id, k);
        const running = Object.keys(sch.state.running).sort();
        sch.succeed(running[0], { endedAt: k, attempts: 1, worker: 'w', output: `out ${running[0]}` });
        order.push(running[0]);
      }
    };
    step(s, 1_000);
    const carried = JSON.stringify(s.carried());
    expect(carried.length).toBeLessThan(JSON.stringify(s.state).length / 2);
    const restored = Scheduler.restore(plan, JSON.parse(carried));
    expect(restored.state).toEqual(viaJson(s.state));
    // The uninterrupted run and the restored one start and end the same tasks from here.
    const [a, b] = [Scheduler.restore(plan, viaJson(s.state)), restored];
    order.length = 0;
    step(a, 1_000);
    const fromRecords = order.splice(0);
    step(b, 1_000);
    expect(order).toEqual(fromRecords);
    expect([a.status(), b.status()]).toEqual(['succeeded', 'succeeded']);
  });
});
