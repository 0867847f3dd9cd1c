import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startRun, summaryOf } from '../src/client';
import { MAX_TASKS, Plan, type Execution } from '../src/core';
import { BUNDLE_OPTIONS } from '../src/temporal/workflowBundle';
import { generationCosts, type GenerationCosts } from './generations';
import { noopTask, type BenchContext, type Rows } from './support';

/**
 * Big plans as fan-outs with fan-in: they must cross many continue-as-new boundaries, carrying
 * their (gzipped) plan and state. 10,000 short tasks and the biggest plan allowed in the default
 * mode (auto: inline for these), and 10,000 with a child each (left out with --quick: it is slow).
 * Baseline: 10,000 bare activities from one workflow at the same M, in the same run (the machine's
 * speed moves by a third between runs, so tasks/s alone compare badly across days).
 * Each case gets a fresh worker process (bench/workerProcess.ts), so its peak RSS is the worker's
 * own, read from the kernel, apart from the client's (this process, which builds and reads the plans).
 */
export async function scale({ client, address, quick }: BenchContext): Promise<Rows> {
  const rows: Rows = [];
  const bundle = join(mkdtempSync(join(tmpdir(), 'ptq-bench-bundle-')), 'workflows.js');
  writeFileSync(
    bundle,
    (await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), ...BUNDLE_OPTIONS })).code,
  );
  const cases: Array<[number, Execution]> = [
    [10_000, 'auto'],
    [MAX_TASKS, 'auto'],
  ];
  if (!quick) cases.push([10_000, 'child']);
  const bare = await onWorker(address, bundle, async (taskQueue) => {
    const b0 = Date.now();
    await client.workflow.execute('bareFanOut', {
      taskQueue,
      workflowId: `scale-bare-${randomUUID()}`,
      args: [10_000, 200],
    });
    return 10_000 / ((Date.now() - b0) / 1000);
  });
  rows.push([`scale: 10000 bare activities, M=200: peak RSS of the worker (MB)`, mb(bare.workerPeak), '', '', '']);
  for (const [n, execution] of cases) {
    const tasks = Array.from({ length: n }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
    const plan = Plan.parse({ name: `scale-${execution}`, maxConcurrency: 200, defaults: { execution }, tasks });
    let clientPeak = 0;
    const sampler = setInterval(() => (clientPeak = Math.max(clientPeak, process.memoryUsage().rss)), 500);
    const run = await onWorker(address, bundle, async (taskQueue) => {
      const t0 = Date.now();
      const handle = await startRun(client, plan, { taskQueue });
      const summary = await summaryOf(handle);
      return { secs: (Date.now() - t0) / 1000, summary, workflowId: handle.workflowId };
    });
    clearInterval(sampler);
    const { secs, summary, workflowId } = run.value;
    let runs = 0;
    let maxEvents = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs++;
      maxEvents = Math.max(maxEvents, wf.historyLength);
    }
    const what = `scale: ${n} tasks, ${execution}, M=200`;
    rows.push(
      [
        `${what} (${summary.status}, ${summary.counts.succeeded} succeeded): tasks/s, time`,
        `${(n / secs).toFixed(1)}, ${secs.toFixed(0)}s`,
        `${bare.value.toFixed(1)} (bare)`,
        (n / secs / bare.value).toFixed(2),
        execution === 'auto' && n === 10_000 ? '>= 300 tasks/s' : '',
      ],
      [`${what}: orchestrator runs, most events in one`, `${runs}, ${maxEvents}`, '', '', 'events < 51,200'],
      generationRow(what, await generationCosts(client, workflowId)),
      [`${what}: peak RSS of the worker (MB)`, mb(run.workerPeak), mb(bare.workerPeak), '', '<= 1,000'],
      [`${what}: peak RSS of the client (MB)`, mb(clientPeak), '', '', ''],
    );
  }
  return rows;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

/** Each generation's tax: its first and last workflow tasks and its drain, medians over the generations. */
const generationRow = (what: string, c: GenerationCosts): string[] => [
  `${what}: per generation (of ${c.generations}), p50 first workflow task / last / drain (ms)`,
  `${c.firstTask.toFixed(0)} / ${c.lastTask.toFixed(0)} / ${c.drain.toFixed(0)}`,
  '',
  '',
  '',
];

/** Runs `fn` against a fresh worker process on a task queue of its own; returns its peak RSS too. */
export async function onWorker<T>(
  address: string,
  bundle: string,
  fn: (taskQueue: string) => Promise<T>,
): Promise<{ value: T; workerPeak: number }> {
  const taskQueue = `bench-scale-${randomUUID()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'workerProcess.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: address, BENCH_TASK_QUEUE: taskQueue, BENCH_WORKFLOW_BUNDLE: bundle },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      void exited.then((code) => reject(new Error(`bench worker exited (${code}) before it was ready`)));
    });
    const value = await fn(taskQueue);
    // VmHWM: the most the process ever had resident, kept by the kernel (no sampling to miss a peak).
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const workerPeak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
    return { value, workerPeak };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
