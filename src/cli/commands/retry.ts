import { Command } from 'commander';
import { resubmitRun, retryRun } from '../../client/retryRun';
import { action, clientFor, intOption, withConnection, withParams } from '../common';
import { MAX_CONCURRENCY, parseParamFlags } from '../../core';
import { PtqError } from '../../errors';
import { followStart, type FollowFlags } from './start';

interface AgainFlags extends FollowFlags {
  id?: string;
  taskQueue: string;
  from?: string[];
  maxConcurrency?: number;
  param?: string[];
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

/** `ptq resubmit RUN`: the same plan and parameters again, from scratch; M and parameters can change. */
export function resubmitCommand(): Command {
  return withParams(again('resubmit'))
    .description(
      'start an ended run again from scratch: same plan, parameters, policy and M, unless --max-concurrency or -p say otherwise',
    )
    .option(
      '--max-concurrency <n>',
      "M: tasks running at once (default: the ended run's)",
      intOption('--max-concurrency', 1, MAX_CONCURRENCY),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  ptq resubmit nightly-1 --watch\n  ptq resubmit nightly-1 --max-concurrency 8 -p env=staging --wait',
    )
    .action(
      action(async (id: string, flags: AgainFlags) => {
        const client = await clientFor(flags);
        const given = parseParamFlags(flags.param ?? []);
        if (!given.ok) throw new PtqError(given.error.join('; '));
        const handle = await resubmitRun(client, id, {
          id: flags.id,
          taskQueue: flags.taskQueue,
          maxConcurrency: flags.maxConcurrency,
          given: given.value,
        });
        return followStart(client, handle, flags);
      }),
    );
}
