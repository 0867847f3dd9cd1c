import { Command, Option } from 'commander';
import { COST_MEMO, searchAttributes } from '../../shared';
import { formatDuration } from '../../core';
import { action, clientFor, intOption, printJson, withConnection } from '../common';
import { table } from '../render';

const STATUSES = ['running', 'completed', 'succeeded', 'failed', 'cancelled'] as const;

/** `ptq list`: recent runs, filtered through ptq's search attributes. */
export function listCommand(): Command {
  return withConnection(new Command('list'))
    .description('list recent runs')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(STATUSES))
    .option('--plan <name>', 'only runs of this plan')
    .option('--limit <n>', 'at most this many', intOption('--limit', 1, 10_000), 20)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq list --status failed\n  ptq list --plan nightly --limit 5\n  ptq list --json | jq -r ".[].id"',
    )
    .action(
      action(async (flags: { status?: (typeof STATUSES)[number]; plan?: string; limit: number; json?: boolean }) => {
        const client = await clientFor(flags);
        const status = flags.status === 'completed' ? 'succeeded' : flags.status;
        const plan = flags.plan === undefined ? '' : ` AND PtqPlan = "${flags.plan.replace(/["\\]/g, '\\$&')}"`;
        const query = `WorkflowType = 'runPlan'${status ? ` AND PtqStatus = '${status}'` : ''}${plan}`;
        const runs = [];
        for await (const wf of client.workflow.list({ query, pageSize: flags.limit })) {
          const sa = wf.typedSearchAttributes;
          runs.push({
            id: wf.workflowId,
            status: sa.get(searchAttributes.status) ?? wf.status.name.toLowerCase(),
            plan: sa.get(searchAttributes.plan) ?? null,
            done: sa.get(searchAttributes.done) ?? null,
            total: sa.get(searchAttributes.total) ?? null,
            startedAt: wf.startTime.toISOString(),
            closedAt: wf.closeTime?.toISOString() ?? null,
            durationMs: (wf.closeTime?.getTime() ?? Date.now()) - wf.startTime.getTime(),
            costUsd: typeof wf.memo?.[COST_MEMO] === 'number' ? wf.memo[COST_MEMO] : null,
          });
          if (runs.length >= flags.limit) break;
        }
        if (flags.json) return printJson(runs);
        if (!runs.length) return void process.stdout.write('no runs\n');
        const rows = runs.map((r) => [
          r.id,
          String(r.status),
          `${r.done ?? '?'}/${r.total ?? '?'}`,
          r.startedAt.replace('T', ' ').slice(0, 19),
          formatDuration(r.durationMs),
          r.costUsd !== null ? `$${r.costUsd.toFixed(2)}` : '-',
          r.plan ?? '',
        ]);
        process.stdout.write(`${table(['RUN', 'STATUS', 'DONE', 'STARTED (UTC)', 'TOOK', 'COST', 'PLAN'], rows)}\n`);
      }),
    );
}
