import { Command } from 'commander';
import { setConcurrency } from '../../control';
import { action, clientFor, intOption, withConnection } from '../common';

/** `ptq set-concurrency ID N`: change M of a live run. */
export function setConcurrencyCommand(): Command {
  return withConnection(new Command('set-concurrency'))
    .description('change how many tasks a live run may run at once')
    .argument('<id>', 'run id')
    .argument('<n>', 'new M, 1..2000', intOption('N', 1, 2000))
    .addHelpText('after', '\nExample:\n  ptq set-concurrency nightly-1 16')
    .action(
      action(async (id: string, n: number, flags: object) => {
        const applied = await setConcurrency(await clientFor(flags), id, n);
        process.stdout.write(`${id}: max concurrency is now ${applied}\n`);
      }),
    );
}
