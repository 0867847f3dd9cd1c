import { Command, Option } from 'commander';
import { LIST_STATUSES, listRuns } from '../../client/listRuns';
import { formatDuration } from '../../core';
import { action, clientFor, intOption, printJson, withConnection } from '../common';
import { table } from '../render';

/** `ptq list`: recent runs, filtered through ptq's search attributes. */
export function listCommand(): Command {
  return withConnection(new Command('list'))
    .description('list recent runs')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(LIST_STATUSES))
    .option('--plan <name>', 'only runs of this plan')
    .option('--limit <n>', 'at most this many', intOption('--limit', 1, 10_000), 20)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq list --status failed\n  ptq list --status terminated\n  ptq list --plan nightly --limit 5\n  ptq list --json | jq -r ".[].id"',
    )
    .action(
      action(
        async (flags: { status?: (typeof LIST_STATUSES)[number]; plan?: string; limit: number; json?: boolean }) => {
          const client = await clientFor(flags);
          const runs = await listRuns(client, flags);
          if (flags.json) return printJson(runs);
          if (!runs.length) return void process.stdout.write('no runs\n');
          // A retry names the run it retried, in a column of its own when any listed run is one.
          const retries = runs.some((r) => r.retryOf !== null);
          const rows = runs.map((r) => [
            r.id,
            String(r.status),
            `${r.done ?? '?'}/${r.total ?? '?'}`,
            r.startedAt.replace('T', ' ').slice(0, 19),
            formatDuration(r.durationMs),
            r.costUsd !== null ? `$${r.costUsd.toFixed(2)}` : '-',
            r.plan ?? '',
            ...(retries ? [r.retryOf ?? ''] : []),
          ]);
          const header = [
            'RUN',
            'STATUS',
            'DONE',
            'STARTED (UTC)',
            'TOOK',
            'COST',
            'PLAN',
            ...(retries ? ['RETRY OF'] : []),
          ];
          process.stdout.write(`${table(header, rows)}\n`);
        },
      ),
    );
}
