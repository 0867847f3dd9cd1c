import { Command } from 'commander';
import { installRuntime } from '../../temporal/runtime';
import { createWorker, DEFAULT_SHUTDOWN_GRACE_MS } from '../../worker';
import { action, durationOption, intOption, withConnection } from '../common';
import { isolateWorker } from '../workerIsolation';
import { describeBrowserPool } from '../../activities/steps/browserPool';

interface WorkerFlags {
  taskQueue: string;
  maxConcurrentActivities?: number;
  maxCachedWorkflows?: number;
  metrics?: string;
  shutdownGrace: number;
}

/** `ptq worker`: poll a task queue until SIGINT/SIGTERM, then shut down gracefully. */
export function workerCommand(): Command {
  return withConnection(new Command('worker'))
    .description('run a worker that executes plans (Ctrl-C stops it gracefully)')
    .option('--task-queue <queue>', 'task queue to poll', 'ptq')
    .option(
      '--max-concurrent-activities <n>',
      'fixed activity slots (default: by memory use, 200 to 10000)',
      intOption('--max-concurrent-activities', 1, 10_000),
    )
    .option('--max-cached-workflows <n>', 'sticky workflow cache size', intOption('--max-cached-workflows', 0, 100_000))
    .option('--metrics <host:port>', 'serve Prometheus metrics here, e.g. 127.0.0.1:9464')
    .option(
      '--shutdown-grace <duration>',
      'on Ctrl-C/SIGTERM, how long running steps may finish before they are killed and retried elsewhere',
      durationOption('--shutdown-grace'),
      DEFAULT_SHUTDOWN_GRACE_MS,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  TEMPORAL_ADDRESS=temporal:7233 ptq worker --metrics 127.0.0.1:9464\n  ptq worker --task-queue gpu --max-concurrent-activities 4\n  ptq worker --shutdown-grace 2m   # let long steps finish during a redeploy',
    )
    .action(
      action(async (flags: WorkerFlags) => {
        const isolation = isolateWorker();
        installRuntime({ metrics: flags.metrics });
        const worker = await createWorker({
          ...flags,
          maxConcurrentActivityTaskExecutions: flags.maxConcurrentActivities,
          shutdownGraceMs: flags.shutdownGrace,
        });
        process.stderr.write(
          `${isolation}\n${describeBrowserPool()}\nptq worker polling task queue "${flags.taskQueue}" (Ctrl-C to stop)\n`,
        );
        if (flags.metrics) process.stderr.write(`Prometheus metrics: http://${flags.metrics}/metrics\n`);
        // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown: polling stops and
        // running steps get the shutdown grace to finish.
        await worker.run();
        process.stderr.write('ptq worker stopped\n');
      }),
    );
}
