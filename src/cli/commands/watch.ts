import { Command } from 'commander';
import { exitCodeFor } from '../../client';
import { action, addressOf, waitingClientFor, withConnection } from '../common';
import { summaryTable } from '../render';
import { watchRun } from '../watch';

/** `ptq watch ID`: live progress until the run ends; exits with the run's exit code. */
export function watchCommand(): Command {
  return withConnection(new Command('watch'))
    .description('follow a run live until it ends (plain lines when not on a terminal)')
    .argument('<id>', 'run id')
    .addHelpText('after', '\nExample:\n  ptq watch nightly-1')
    .action(
      action(async (id: string, flags: object) => {
        const summary = await watchRun(await waitingClientFor(flags), id, {
          detachOnCtrlC: true,
          address: addressOf(flags),
        });
        process.stdout.write(`${summaryTable(summary)}\n`);
        return exitCodeFor(summary.status);
      }),
    );
}
