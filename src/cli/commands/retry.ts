import { Command } from 'commander';
import { resubmitRun, retryRun } from '../../retry';
import { action, clientFor, withConnection } from '../common';
import { followStart, type FollowFlags } from './start';

interface AgainFlags extends FollowFlags {
  id?: string;
  taskQueue: string;
  from?: string[];
}

/** The flags `retry` and `resubmit` share with `start`: where the new run goes and how to follow it. */
function again(name: string): Command {
  return withConnection(new Command(name))
    .argument('<id>', 'the run that ended')
    .option('--id <id>', 'id of the new run (default: plan name + time)')
    .option('--task-queue <queue>', 'task queue of the workers', 'ptq')
    .option('--wait', 'wait for the end and print the summary')
    .option('--watch', 'show live progress until the end')
    .option('--json', 'print JSON');
}

/** `ptq retry RUN`: a new run of what did not succeed, keeping the outputs of what did. */
export function retryCommand(): Command {
  return again('retry')
    .description(
      'run again only the failed, cancelled and skipped tasks of an ended run (and what comes after them), in a new run that keeps the outputs of the rest',
    )
    .option(
      '--from <task>',
      'also run this task and everything after it again (repeat for more)',
      (value: string, all: string[] | undefined) => [...(all ?? []), value],
    )
    .addHelpText('after', '\nExamples:\n  ptq retry nightly-1 --watch\n  ptq retry nightly-1 --from build --wait')
    .action(
      action(async (id: string, flags: AgainFlags) => {
        const client = await clientFor(flags);
        const handle = await retryRun(client, id, { id: flags.id, taskQueue: flags.taskQueue, from: flags.from });
        if (!flags.json) process.stderr.write(`retrying ${id}\n`);
        return followStart(client, handle, flags);
      }),
    );
}

/** `ptq resubmit RUN`: the same plan and parameters again, from scratch. */
export function resubmitCommand(): Command {
  return again('resubmit')
    .description('start an ended run again from scratch: same plan, parameters, policy and M')
    .addHelpText('after', '\nExample:\n  ptq resubmit nightly-1 --watch')
    .action(
      action(async (id: string, flags: AgainFlags) => {
        const client = await clientFor(flags);
        const handle = await resubmitRun(client, id, { id: flags.id, taskQueue: flags.taskQueue });
        return followStart(client, handle, flags);
      }),
    );
}
