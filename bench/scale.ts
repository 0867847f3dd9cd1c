import { randomUUID } from 'node:crypto';
import { startRun, summaryOf } from '../src/client';
import { MAX_TASKS, Plan, type Execution } from '../src/core';
import { noopTask, type BenchContext, type Rows } from './support';

/**
 * Big plans as fan-outs with fan-in: they must cross many continue-as-new boundaries, carrying
 * their (gzipped) plan and state. 10,000 short tasks and the biggest plan allowed in the default
 * mode (auto: inline for these), and 10,000 with a child each (left out with --quick: it is slow).
 * Baseline: 10,000 bare activities from one workflow at the same M, in the same run (the machine's
 * speed moves by a third between runs, so tasks/s alone compare badly across days).
 */
export async function scale({ client, taskQueue, quick }: BenchContext): Promise<Rows> {
  const rows: Rows = [];
  const cases: Array<[number, Execution]> = [
    [10_000, 'auto'],
    [MAX_TASKS, 'auto'],
  ];
  if (!quick) cases.push([10_000, 'child']);
  const b0 = Date.now();
  await client.workflow.execute('bareFanOut', {
    taskQueue,
    workflowId: `scale-bare-${randomUUID()}`,
    args: [10_000, 200],
  });
  const bare = 10_000 / ((Date.now() - b0) / 1000);
  for (const [n, execution] of cases) {
    const tasks = Array.from({ length: n }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
    const plan = Plan.parse({ name: `scale-${execution}`, maxConcurrency: 200, defaults: { execution }, tasks });
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
    const t0 = Date.now();
    const handle = await startRun(client, plan, { taskQueue });
    const summary = await summaryOf(handle);
    const secs = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    let runs = 0;
    let maxEvents = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      runs++;
      maxEvents = Math.max(maxEvents, wf.historyLength);
    }
    const what = `scale: ${n} tasks, ${execution}, M=200`;
    rows.push(
      [
        `${what} (${summary.status}, ${summary.counts.succeeded} succeeded): tasks/s, time`,
        `${(n / secs).toFixed(1)}, ${secs.toFixed(0)}s`,
        `${bare.toFixed(1)} (bare)`,
        (n / secs / bare).toFixed(2),
        execution === 'auto' && n === 10_000 ? '>= 300 tasks/s' : '',
      ],
      [`${what}: orchestrator runs, most events in one`, `${runs}, ${maxEvents}`, '', '', 'events < 51,200'],
      [`${what}: peak RSS of worker + client (MB)`, (peakRss / 1e6).toFixed(0), '', '', '<= 1,000'],
    );
  }
  return rows;
}
