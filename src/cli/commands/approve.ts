import { Command } from 'commander';
import { decide } from '../../client/control';
import { action, clientFor, withConnection } from '../common';

/** `ptq approve ID`: let a run started with --approve go ahead with its plan. */
export function approveCommand(): Command {
  return withConnection(new Command('approve'))
    .description('approve the plan of a run started with --approve')
    .argument('<id>', 'run id')
    .addHelpText(
      'after',
      '\nExample:\n  ptq start --requirements-file spec.md --approve --id spec-1 && ptq approve spec-1',
    )
    .action(
      action(async (id: string, flags: object) => {
        await decide(await clientFor(flags), id, true);
        process.stdout.write(`approved ${id}\n`);
      }),
    );
}

/** `ptq reject ID`: end a run started with --approve without running anything. */
export function rejectCommand(): Command {
  return withConnection(new Command('reject'))
    .description('reject the plan of a run started with --approve; nothing runs')
    .argument('<id>', 'run id')
    .option('--reason <text>', 'why', 'rejected')
    .addHelpText('after', '\nExample:\n  ptq reject spec-1 --reason "too many tasks"')
    .action(
      action(async (id: string, flags: { reason: string }) => {
        await decide(await clientFor(flags), id, false, flags.reason);
        process.stdout.write(`rejected ${id}\n`);
      }),
    );
}
