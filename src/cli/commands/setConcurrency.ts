import { Command } from 'commander';
import { MAX_CONCURRENCY, MAX_MAP_PARALLEL } from '../../core';
import { setConcurrency, setMaxParallel } from '../../client/control';
import { action, clientFor, intOption, withConnection } from '../common';

/** `ptq set-concurrency ID N`: change M of a live run. */
export function setConcurrencyCommand(): Command {
  return withConnection(new Command('set-concurrency'))
    .description("change how many tasks a live run may run at once, or a running map's maxParallel")
    .argument('<id>', 'run id')
    .argument(
      '<n>',
      `new M, 1..${MAX_CONCURRENCY} (with --task: 1..${MAX_MAP_PARALLEL})`,
      intOption('N', 1, MAX_CONCURRENCY),
    )
    .option('--task <id>', "change this running map task's maxParallel instead")
    .addHelpText(
      'after',
      '\nUnder maxConcurrency (or maxParallel) auto, N fixes the limit: it stops adapting for the rest of the run.\n' +
        '\nExamples:\n  ptq set-concurrency nightly-1 16\n  ptq set-concurrency nightly-1 --task verify 40',
    )
    .action(
      action(async (id: string, n: number, flags: { task?: string }) => {
        const client = await clientFor(flags);
        if (flags.task) {
          const applied = await setMaxParallel(client, id, flags.task, n);
          return void process.stdout.write(`${id}: map ${flags.task} runs up to ${applied} items at once\n`);
        }
        const applied = await setConcurrency(client, id, n);
        process.stdout.write(`${id}: max concurrency is now ${applied}\n`);
      }),
    );
}
