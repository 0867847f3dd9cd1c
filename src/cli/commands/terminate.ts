import { Command } from 'commander';
import { terminateRun } from '../../client/control';
import { action, clientFor, printJson, withConnection } from '../common';

/**
 * `ptq terminate ID`: ends a run on the server at once, as `temporal workflow terminate` does. For
 * a run no worker will ever pick up again (its queue is gone, its code is broken), where `cancel`
 * would wait for a worker to carry it out.
 */
export function terminateCommand(): Command {
  return withConnection(new Command('terminate'))
    .description(
      'end a run at once on the server, without a worker: no finally tasks, no summary (prefer cancel when a worker runs)',
    )
    .argument('<id>', 'run id')
    .option('--reason <text>', 'why, recorded in the run history', 'terminated from the CLI')
    .option('--json', 'print {"id", "terminated", "status"}')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq terminate nightly-1 --reason "worker pool gone"\n  ptq terminate nightly-1 --json | jq .terminated',
    )
    .action(
      action(async (id: string, flags: { reason: string; json?: boolean }) => {
        const ended = await terminateRun(await clientFor(flags), id, flags.reason);
        if (flags.json) return printJson({ id, terminated: !ended, status: ended ?? 'terminated' });
        process.stdout.write(ended ? `${id} already ended (${ended})\n` : `terminated ${id}\n`);
      }),
    );
}
