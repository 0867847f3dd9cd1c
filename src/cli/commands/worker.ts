import { Command } from 'commander';
import { createWorker } from '../../worker';
import { action, intOption, withConnection } from '../common';

/** `ptq worker`: poll a task queue until SIGINT/SIGTERM, then shut down gracefully. */
export function workerCommand(): Command {
  return withConnection(new Command('worker'))
    .description('run a worker that executes plans (Ctrl-C stops it gracefully)')
    .option('--task-queue <queue>', 'task queue to poll', 'ptq')
    .option('--max-concurrent-activities <n>', 'activity slots', intOption('--max-concurrent-activities', 1, 10_000))
    .option('--max-cached-workflows <n>', 'sticky workflow cache size', intOption('--max-cached-workflows', 0, 100_000))
    .addHelpText(
      'after',
      '\nExamples:\n  TEMPORAL_ADDRESS=temporal:7233 ptq worker\n  ptq worker --task-queue gpu --max-concurrent-activities 4',
    )
    .action(
      action(async (flags: { taskQueue: string; maxConcurrentActivities?: number; maxCachedWorkflows?: number }) => {
        const worker = await createWorker({
          ...flags,
          maxConcurrentActivityTaskExecutions: flags.maxConcurrentActivities,
        });
        process.stderr.write(`ptq worker polling task queue "${flags.taskQueue}" (Ctrl-C to stop)\n`);
        // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown: polling stops and
        // running activities get the shutdown grace time to finish.
        await worker.run();
        process.stderr.write('ptq worker stopped\n');
      }),
    );
}
