/**
 * A ptq worker in a process of its own, with the benchmarks' `noop` activity, so the scale rows can
 * read the worker's own peak RSS (the kernel's VmHWM) apart from the client's. It is ptq's worker
 * (`createWorker`, as `ptq worker` builds it) with the bench's workflow bundle (ptq's workflows
 * plus the bare baselines), prebuilt by the parent at BENCH_WORKFLOW_BUNDLE.
 * Prints "ready" once it polls; SIGTERM stops it.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createWorker } from '../src/worker';
import { noop } from './support';

Runtime.install({ logger: new DefaultLogger('ERROR') });

async function main(): Promise<void> {
  const worker = await createWorker({
    address: process.env.TEMPORAL_ADDRESS,
    taskQueue: process.env.BENCH_TASK_QUEUE,
    activities: { noop },
    workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE as string },
    maxConcurrentActivityTaskExecutions: 500,
  });
  process.stdout.write('ready\n');
  await worker.run(); // the SDK's runtime turns SIGTERM into a graceful shutdown
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
