import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { Command } from 'commander';
import { progressBar } from '../../core';
import { serverView, workflowPollers, type ServerView } from '../../serverView';
import { runUrl } from '../../client';
import { describedRun, findTask, withMapProgress } from '../../control';
import { progressQuery } from '../../shared';
import { action, clientFor, namespaceOf, printJson, withConnection } from '../common';
import { progressView } from '../render';
import { printTask } from '../taskView';

/** How long a status waits for a worker to answer before showing what the server knows. */
const QUERY_WAIT_MS = 5_000;

/** Why no worker can answer a query on a running run, or undefined (ended runs are answered from their history by any worker). */
async function whyNoAnswer(client: Client, d: WorkflowExecutionDescription): Promise<string | undefined> {
  if (d.status.name !== 'RUNNING') return undefined;
  const pollers = await workflowPollers(client, d.taskQueue).catch(() => 1);
  return pollers === 0
    ? `no worker is polling task queue "${d.taskQueue}": start one with \`ptq worker --task-queue ${d.taskQueue}\``
    : undefined;
}

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
        const url = runUrl(id, namespaceOf(flags));
        const unanswered = await whyNoAnswer(client, description);
        const answer = unanswered
          ? undefined
          : await client
              .withDeadline(Date.now() + QUERY_WAIT_MS, () => handle.query(progressQuery))
              .catch(() => undefined);
        if (!answer) {
          const view = serverView(description, unanswered ?? 'no worker answered within 5 s');
          if (flags.json) return printJson({ id, url, source: 'server', ...view });
          return void process.stdout.write(`${serverLines(id, view).join('\n')}\n${url}\n`);
        }
        const progress = await withMapProgress(client, id, answer);
        if (flags.json) return printJson({ id, url, ...progress });
        const started = description.startTime.getTime();
        // An ended run's elapsed time is its makespan, not the time since it started.
        const now = description.closeTime?.getTime() ?? Date.now();
        process.stdout.write(
          `${id}: ${progress.status}  (${progress.plan}, M=${progress.maxConcurrency}, ${progress.policy})\n`,
        );
        const why = progress.reason === 'waiting for approval' ? approvalHint(id) : progress.reason;
        const lines = [...progressView(progress, now, now - started, 50), ...(why ? [why] : [])];
        process.stdout.write(`${lines.join('\n')}\n${url}\n`);
      }),
    );
}
