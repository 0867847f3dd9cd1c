import { randomUUID } from 'node:crypto';
import { promiseHooks } from 'node:v8';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { startRun, summaryOf } from '../src/client';
import { dataConverter } from '../src/temporal/codec';
import { Plan } from '../src/core';
import { PRELOAD_MODULES } from '../src/temporal/workflowBundle';
import { noop, noopTask, ratioRow, type BenchContext, type Rows } from './support';

/**
 * Promises made in the workflow per no-op task, ptq (the default mode) vs a bare activity fan-out.
 * The SDK records a stack trace for every promise a workflow makes, and that is most of an inline
 * task's cost in the run's workflow task; unlike wall-clock time, the count does not move between
 * runs. The workflows run in a debug-mode worker (in this thread), so a promise hook can tell the
 * workflow's promises (the sandbox's Promise) from everything else.
 */
export async function promises({ client, address }: BenchContext): Promise<Rows> {
  const taskQueue = `bench-promises-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    bundlerOptions: { preloadModules: PRELOAD_MODULES },
    dataConverter,
    activities: createActivities({ userActivities: { noop } }),
    debugMode: true,
  });
  let made = 0;
  const stop = promiseHooks.onInit((p) => {
    if (p.constructor !== Promise) made++;
  });
  const m = 50;
  const counted = async (run: () => Promise<unknown>) => {
    const before = made;
    await run();
    return made - before;
  };
  const bare = (n: number) => () =>
    client.workflow.execute('bareFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [n, m] });
  const ptq = (n: number) => async () => {
    const plan = Plan.parse({
      name: 'promises',
      maxConcurrency: m,
      tasks: Array.from({ length: n }, (_, i) => noopTask(`t${i}`)),
    });
    await summaryOf(await startRun(client, plan, { taskQueue }));
  };
  // The difference between two sizes leaves out what a run costs once (start, end, the first task).
  const perTask = async (run: (n: number) => () => Promise<unknown>) =>
    ((await counted(run(1_200))) - (await counted(run(200)))) / 1_000;
  try {
    const [b, p] = await worker.runUntil(async () => [await perTask(bare), await perTask(ptq)]);
    return [ratioRow('promises per no-op task in the workflow, default (auto) vs bare activities', p, b, '', 1)];
  } finally {
    stop();
    await connection.close();
  }
}
