import { summaryOf } from '../src/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { startRun } from '../src/client';
import { Plan, type Execution } from '../src/core';
import { alive, readPid } from '../test/support/processes';
import { ratioRow, type BenchContext, type Rows } from './support';

/**
 * Time from cancel to every running process gone: M shell tasks each run `sleep 600`, then the run
 * is cancelled. Baseline: the same shell steps as bare activities of one workflow, cancelled.
 */
export async function cancellation({ client, taskQueue }: BenchContext): Promise<Rows> {
  const m = 20;
  const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-cancel-'));
  const steps = (tag: string) =>
    Array.from({ length: m }, (_, i) => ({
      type: 'shell' as const,
      command: ['sh', '-c', `echo $$ > ${join(dir, `${tag}-${i}`)}; exec sleep 600`],
    }));
  const timeToStop = async (tag: string, start: () => Promise<WorkflowHandle>) => {
    const handle = await start();
    const pids = await Promise.all(steps(tag).map((_, i) => readPid(join(dir, `${tag}-${i}`))));
    const t0 = Date.now();
    await handle.cancel();
    while (pids.some(alive)) await new Promise((r) => setTimeout(r, 5));
    const stopped = Date.now() - t0;
    await summaryOf(handle).catch(() => undefined);
    return { stopped, ended: Date.now() - t0 };
  };
  const ptq = (execution: Execution) => () => {
    const tasks = steps(execution).map((run, i) => ({ id: `s${i}`, run }));
    return startRun(client, Plan.parse({ name: 'cancel', maxConcurrency: m, defaults: { execution }, tasks }), {
      taskQueue,
    });
  };
  const bare = await timeToStop('bare', () =>
    client.workflow.start('bareShellFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [steps('bare')] }),
  );
  const rows: Rows = [];
  for (const execution of ['child', 'inline'] as const) {
    const r = await timeToStop(execution, ptq(execution));
    rows.push(
      ratioRow(`cancel -> all ${m} processes gone, ${execution} (ms)`, r.stopped, bare.stopped, '', 0),
      ratioRow(`cancel -> run closed with its summary, ${execution} (ms)`, r.ended, bare.ended, '', 0),
    );
  }
  return rows;
}
