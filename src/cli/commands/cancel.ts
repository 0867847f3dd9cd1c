import { Command } from 'commander';
import { cancelRun } from '../../client/control';
import { action, clientFor, withConnection } from '../common';

/** `ptq cancel ID`: stops a run; running tasks are cancelled and their processes killed. */
export function cancelCommand(): Command {
  return withConnection(new Command('cancel'))
    .description('cancel a run: nothing new starts and running tasks are killed')
    .argument('<id>', 'run id')
    .option('--reason <text>', 'why, shown in the summary', 'cancelled from the CLI')
    .addHelpText('after', '\nExample:\n  ptq cancel nightly-1 --reason "wrong branch"')
    .action(
      action(async (id: string, flags: { reason: string }) => {
        const ended = await cancelRun(await clientFor(flags), id, flags.reason);
        process.stdout.write(ended ? `${id} already ended (${ended})\n` : `cancel requested for ${id}\n`);
      }),
    );
}
