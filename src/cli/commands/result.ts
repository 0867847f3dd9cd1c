import { Command } from 'commander';
import { exitCodeFor } from '../../client';
import { getResult, findTask } from '../../client/control';
import { rideOutOutage } from '../../client/outage';
import { action, addressOf, printJson, waitingClientFor, withConnection } from '../common';
import { summaryTable } from '../render';
import { printTask } from '../taskView';

/** `ptq result ID`: waits for the end and prints the summary. */
export function resultCommand(): Command {
  return withConnection(new Command('result'))
    .description('wait for a run to end and print its summary')
    .argument('<id>', 'run id, or RUN/TASK for one task (now, without waiting)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  ptq result nightly-1 --json > summary.json')
    .action(
      action(async (id: string, flags: { json?: boolean }) => {
        const client = await waitingClientFor(flags);
        const task = await findTask(client, id);
        if (task) {
          printTask(id, task, flags.json);
          return task.status === 'failed' || task.status === 'cancelled' ? exitCodeFor(task.status) : 0;
        }
        const summary = await rideOutOutage(() => getResult(client, id), addressOf(flags));
        if (flags.json) printJson(summary);
        else process.stdout.write(`${summaryTable(summary)}\n`);
        return exitCodeFor(summary.status);
      }),
    );
}
