import { Command } from 'commander';
import { runUrl } from '../../client';
import { describedRun, getTask, taskRef, withMapProgress } from '../../control';
import { progressQuery } from '../../shared';
import { action, clientFor, namespaceOf, printJson, withConnection } from '../common';
import { progressView } from '../render';
import { printTask } from '../taskView';

/** `ptq status ID`: a snapshot of a run's progress. */
export function statusCommand(): Command {
  return withConnection(new Command('status'))
    .description('show the progress of a run')
    .argument('<id>', 'run id, or RUN/TASK for one task')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq status nightly-1\n  ptq status nightly-1/build   # one task\n  ptq status nightly-1 --json | jq .counts',
    )
    .action(
      action(async (id: string, flags: { json?: boolean }) => {
        const client = await clientFor(flags);
        const ref = id.includes('/') ? await taskRef(client, id) : undefined;
        if (ref) return printTask(id, await getTask(client, ref.run, ref.task), flags.json);
        const { handle, description } = await describedRun(client, id);
        const progress = await withMapProgress(client, id, await handle.query(progressQuery));
        const url = runUrl(id, namespaceOf(flags));
        if (flags.json) return printJson({ id, url, ...progress });
        const started = description.startTime.getTime();
        const now = Date.now();
        process.stdout.write(
          `${id}: ${progress.status}  (${progress.plan}, M=${progress.maxConcurrency}, ${progress.policy})\n`,
        );
        process.stdout.write(`${progressView(progress, now, now - started, 50).join('\n')}\n${url}\n`);
      }),
    );
}
