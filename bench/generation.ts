import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter, type Payload, type PayloadConverter } from '@temporalio/common';
import { MAX_TASKS, Plan } from '../src/core';
import { Scheduler, SEARCH_GENERATION } from '../src/core/schedule/scheduler';
import { buildGraph } from '../src/core/schedule/graph';
import { payloadConverter } from '../src/temporal/payloadConverter';
import { noopTask, type Rows } from './support';

/**
 * What the first workflow task of a later generation of the biggest plan spends its CPU on, part by
 * part: decoding the carried input and the plan the local activity reads, and restoring the
 * scheduler; and the last one's encoding of the next generation's input. Each part is timed with ptq's way next to the way it replaced, in the same process, on a
 * 50,000-task plan halfway through (the core's own state after 25,000 tasks succeeded and 200 run).
 * No server needed: `npm run bench -- --only generation`. Medians of 7 rounds after 2 warm-ups.
 */
export function generation(): Rows {
  const tasks = Array.from({ length: MAX_TASKS }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
  const plan = Plan.parse({ name: 'scale-auto', maxConcurrency: 200, defaults: { execution: 'auto' }, tasks });
  const state = halfway(plan);
  const input = { planFrom: { runId: 'r', at: 0 }, resume: { state, startedAt: 0, generation: 3 } };
  const sdk = defaultPayloadConverter;
  const inputPayload = sdk.toPayload(input) as Payload;
  const planPayload = sdk.toPayload(plan) as Payload;
  const kb = (p: Payload) => `${Math.round((p.data?.length ?? 0) / 1024)} KB`;
  const rows: Rows = [];
  const decodeRow = (what: string, p: Payload, ours: PayloadConverter) =>
    row(
      `generation: decode ${what} (${kb(p)} JSON): ptq vs the SDK's converter`,
      () => ours.fromPayload(p),
      () => sdk.fromPayload(p),
    );
  rows.push(
    decodeRow('the carried input', inputPayload, payloadConverter),
    decodeRow('the plan', planPayload, payloadConverter),
    row(
      `generation: encode the next input (the last workflow task): ptq vs the SDK's converter`,
      () => payloadConverter.toPayload(input),
      () => sdk.toPayload(input),
    ),
  );
  rows.push(
    row(
      'generation: restore the scheduler, 50,000 tasks',
      () => Scheduler.restore(plan, state),
      () => buildGraph(plan),
      'the graph alone',
    ),
  );
  return rows;
}

/** A 50,000-task run as the core leaves it halfway: 25,000 succeeded, 200 running. */
function halfway(plan: Plan): Scheduler['state'] {
  const s = Scheduler.create(plan, { generation: SEARCH_GENERATION, finallyLast: true, boundConditions: true });
  let now = 1_700_000_000_000;
  const running: string[] = [];
  for (let done = 0; done < plan.tasks.length / 2;) {
    for (let id = s.next(); id !== undefined; id = s.next()) {
      s.start(id, now);
      running.push(id);
    }
    const id = running.shift() as string;
    s.succeed(id, { endedAt: (now += 3), attempts: 1, worker: '', output: JSON.stringify({ id }) });
    done++;
  }
  for (let id = s.next(); id !== undefined; id = s.next()) s.start(id, now);
  return s.state;
}

function row(what: string, ours: () => unknown, theirs: () => unknown, baseline = ''): string[] {
  const a = median(ours);
  const b = median(theirs);
  return [what, `${a.toFixed(1)} ms`, `${b.toFixed(1)} ms${baseline ? ` (${baseline})` : ''}`, (a / b).toFixed(2), ''];
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
