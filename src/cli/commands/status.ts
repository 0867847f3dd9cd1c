import { Command } from 'commander';
import { concurrencyText, progressBar } from '../../core';
import type { ServerView } from '../../client/serverView';
import { runLink } from '../../client';
import { describedRun, findTask, progressOrServerView } from '../../client/control';
import { action, clientFor, printJson, withConnection } from '../common';
import { progressView } from '../render';
import { printTask } from '../taskView';
import { limitWaitLines } from '../../client/limitWaits';

/** What to do about a run that waits for approval. */
function approvalHint(id: string): string {
  return `waiting for approval: \`ptq plan ${id}\` shows the plan; \`ptq approve ${id}\` runs it, \`ptq reject ${id} --reason "..."\` ends it`;
}

function serverLines(id: string, v: ServerView): string[] {
  const counts = v.total === null ? '' : `${progressBar(v.done ?? 0, v.total, 30)} ${v.done ?? 0}/${v.total}  `;
  return [
    `${id}: ${v.status}${v.plan ? `  (${v.plan})` : ''}`,
    `${counts}${v.running.length} running${v.running.length ? `: ${v.running.slice(0, 20).join(', ')}` : ''}`,
    `(from the server only: ${v.why})`,
  ];
}

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
        const task = await findTask(client, id);
        if (task) return printTask(id, task, flags.json);
        const { handle, description } = await describedRun(client, id);
        const url = (await runLink(client, id)) ?? null;
        const link = url ? `${url}\n` : '';
        const known = await progressOrServerView(client, handle, description);
        if ('server' in known) {
          if (flags.json) return printJson({ id, url, source: 'server', ...known.server });
          return void process.stdout.write(`${serverLines(id, known.server).join('\n')}\n${link}`);
        }
        const { progress } = known;
        if (flags.json) return printJson({ id, url, ...progress });
        const started = description.startTime.getTime();
        // An ended run's elapsed time is its makespan, not the time since it started.
        const now = description.closeTime?.getTime() ?? Date.now();
        process.stdout.write(
          `${id}: ${progress.status}  (${progress.plan}, ${concurrencyText(progress)}, ${progress.policy})\n`,
        );
        const why = progress.reason === 'waiting for approval' ? approvalHint(id) : progress.reason;
        const waits = description.closeTime
          ? []
          : await limitWaitLines(
              client,
              id,
              progress.running.map((r) => r.id),
            );
        const lines = [...progressView(progress, now, now - started, 50), ...waits, ...(why ? [why] : [])];
        process.stdout.write(`${lines.join('\n')}\n${link}`);
      }),
    );
}
