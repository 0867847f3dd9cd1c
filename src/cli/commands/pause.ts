import { Command } from 'commander';
import { pauseRun, resumeRun } from '../../client/control';
import { action, clientFor, withConnection } from '../common';

/** `ptq pause ID`: no new tasks start; running ones finish. */
export function pauseCommand(): Command {
  return withConnection(new Command('pause'))
    .description('stop starting new tasks (running ones go on)')
    .argument('<id>', 'run id')
    .addHelpText('after', '\nExample:\n  ptq pause nightly-1 && ptq resume nightly-1')
    .action(
      action(async (id: string, flags: object) => {
        await pauseRun(await clientFor(flags), id);
        process.stdout.write(`paused ${id}\n`);
      }),
    );
}

/** `ptq resume ID`: start new tasks again. */
export function resumeCommand(): Command {
  return withConnection(new Command('resume'))
    .description('start new tasks again after a pause')
    .argument('<id>', 'run id')
    .addHelpText('after', '\nExample:\n  ptq resume nightly-1')
    .action(
      action(async (id: string, flags: object) => {
        await resumeRun(await clientFor(flags), id);
        process.stdout.write(`resumed ${id}\n`);
      }),
    );
}
