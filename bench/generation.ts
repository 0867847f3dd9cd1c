import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { MAX_TASKS, Plan } from '../src/core';
import { fileLocks } from '../src/core/plan/files';
import { Scheduler, SEARCH_GENERATION } from '../src/core/schedule/scheduler';
import { payloadConverter } from '../src/temporal/payloadConverter';
import { noopTask, type Rows } from './support';

/**
 * What the first workflow task of a later generation of the biggest plan spends its CPU on, part by
 * part, each next to the way it replaced, in the same process: decoding the carried input and the
 * plan the local activity reads (ptq's payload converter vs the SDK's), restoring the scheduler, and
 * all three together; then the last workflow task's encoding of the next input. The state is the
 * core's own, for a 50,000-task plan halfway: 25,000 succeeded, 200 running. No server needed:
 * `npm run bench -- --only generation`. Medians of 7 rounds after 2 warm-ups.
 */
export function generation(): Rows {
  const tasks = Array.from({ length: MAX_TASKS }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
  const plan = Plan.parse({ name: 'scale-auto', maxConcurrency: 200, defaults: { execution: 'auto' }, tasks });
  const scheduler = halfway(plan);
  const sdk = defaultPayloadConverter;
  const input = (state: unknown) => ({
    planFrom: { runId: 'r', at: 0 },
    resume: { state, startedAt: 0, generation: 3 },
  });
  const carried = sdk.toPayload(input(scheduler.state)) as Payload;
  const planPayload = sdk.toPayload(plan) as Payload;
  type Input = ReturnType<typeof input>;
  // Before, a restore also searched the plan's `files` for overlaps, though no task declares any. This
  // adds that search to today's restore: close to the old one, which also built an array per task.
  const oldRestore = (p: Plan, state: Scheduler['state']) => {
    fileLocks(p.tasks.map((t) => t.files));
    return Scheduler.restore(p, state);
  };
  const kb = (p: Payload) => `${Math.round((p.data?.length ?? 0) / 1024)} KB`;
  return [
    row(
      `generation: decode the carried input (${kb(carried)}): ptq's converter vs the SDK's`,
      () => payloadConverter.fromPayload(carried),
      () => sdk.fromPayload(carried),
    ),
    row(
      `generation: decode the plan (${kb(planPayload)}): ptq's converter vs the SDK's`,
      () => payloadConverter.fromPayload(planPayload),
      () => sdk.fromPayload(planPayload),
    ),
    row(
      'generation: restore the scheduler, 50,000 tasks: ptq vs the old restore',
      () => Scheduler.restore(plan, scheduler.state),
      () => oldRestore(plan, scheduler.state),
    ),
    row(
      `generation: the first workflow task's parts together: input, plan, restore`,
      () => {
        const { state } = payloadConverter.fromPayload<Input>(carried).resume;
        return Scheduler.restore(payloadConverter.fromPayload(planPayload), state as Scheduler['state']);
      },
      () => {
        const { state } = sdk.fromPayload<Input>(carried).resume;
        return oldRestore(sdk.fromPayload(planPayload), state as Scheduler['state']);
      },
    ),
    row(
      `generation: encode the next input (the last workflow task): ptq's converter vs the SDK's`,
      () => payloadConverter.toPayload(input(scheduler.state)),
      () => sdk.toPayload(input(scheduler.state)),
    ),
  ];
}

/** A 50,000-task run as the core leaves it halfway: 25,000 succeeded, 200 running. */
function halfway(plan: Plan): Scheduler {
  const s = Scheduler.create(plan, { generation: SEARCH_GENERATION, finallyLast: true, boundConditions: true });
  let now = 1_700_000_000_000;
  const running: string[] = [];
  for (let done = 0; done < plan.tasks.length / 2; done++) {
    for (let id = s.next(); id !== undefined; id = s.next()) {
      s.start(id, now);
      running.push(id);
    }
    const id = running.shift() as string;
    s.succeed(id, { endedAt: (now += 3), attempts: 1, worker: '', output: JSON.stringify({ id }) });
  }
  for (let id = s.next(); id !== undefined; id = s.next()) s.start(id, now);
  return s;
}

function row(what: string, ours: () => unknown, theirs: () => unknown): string[] {
  const a = median(ours);
  const b = median(theirs);
  return [what, `${a.toFixed(1)} ms`, `${b.toFixed(1)} ms`, (a / b).toFixed(2), ''];
}

function median(f: () => unknown): number {
  for (let i = 0; i < 2; i++) f();
  const times = Array.from({ length: 7 }, () => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  });
  return times.sort((x, y) => x - y)[3];
}
