import type { Client, ScheduleHandle } from '@temporalio/client';
import { Command, Option } from 'commander';
import { parseDuration, plural } from '../../core';
import { PtqError } from '../../errors';
import { searchAttributes } from '../../shared';
import { loadPlanFile } from '../../planFile';
import { createSchedule, OVERLAP, scheduleInfo, withSchedule, type Overlap } from '../../client/schedules';
import { action, clientFor, paramsFor, printJson, withConnection, withParams } from '../common';

interface CreateFlags {
  plan: string;
  cron?: string;
  every?: string;
  id?: string;
  overlap: Overlap;
  paused?: boolean;
  taskQueue: string;
  param?: string[];
}

/** `ptq schedule ...`: recurring runs on Temporal Schedules. */
export function scheduleCommand(): Command {
  const schedule = new Command('schedule')
    .description('run a plan on a schedule (Temporal Schedules)')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq schedule create --plan nightly.json --cron "0 3 * * *" --id nightly\n  ptq schedule trigger nightly',
    );

  schedule.addCommand(
    withParams(withConnection(new Command('create')))
      .description('create a schedule')
      .requiredOption('--plan <file>', 'plan file')
      .option('--cron <expr>', 'cron expression, e.g. "0 3 * * *"')
      .option('--every <duration>', 'interval, e.g. 30m or 1h')
      .option('--id <id>', 'schedule id (runs are named <id>-<time>)')
      .addOption(
        new Option('--overlap <policy>', 'what to do if the previous run is still going')
          .choices(Object.keys(OVERLAP))
          .default('skip'),
      )
      .option('--paused', 'create it paused')
      .option('--task-queue <queue>', 'task queue of the workers', 'ptq')
      .addHelpText(
        'after',
        '\nExamples:\n  ptq schedule create --plan checks.yaml --every 15m --overlap buffer-one\n  ptq schedule create --plan pipeline.yaml --cron "0 3 * * *" -p env=prod',
      )
      .action(
        action(async (flags: CreateFlags) => {
          if (Boolean(flags.cron) === Boolean(flags.every)) throw new PtqError('give exactly one of --cron or --every');
          const everyMs = flags.every === undefined ? undefined : parseDuration(flags.every);
          if (flags.every !== undefined && !everyMs)
            throw new PtqError(`bad --every "${flags.every}": use e.g. 30s, 15m, 1h`);
          const plan = loadPlanFile(flags.plan);
          const params = paramsFor(plan, flags.param);
          const id = await createSchedule(await clientFor(flags), plan, { ...flags, everyMs, params });
          process.stdout.write(`created schedule ${id}\n`);
        }),
      ),
  );

  schedule.addCommand(
    withConnection(new Command('list'))
      .description('list schedules')
      .option('--json', 'print JSON')
      .addHelpText('after', '\nExample:\n  ptq schedule list --json')
      .action(
        action(async (flags: { json?: boolean }) => {
          const client = await clientFor(flags);
          const rows = [];
          for await (const s of client.schedule.list()) {
            rows.push({
              id: s.scheduleId,
              paused: s.state.paused,
              nextRun: s.info.nextActionTimes[0]?.toISOString() ?? null,
            });
          }
          if (flags.json) return printJson(rows);
          if (!rows.length) return void process.stdout.write('no schedules\n');
          for (const r of rows)
            process.stdout.write(`${r.id.padEnd(32)} ${r.paused ? 'paused ' : 'active '} next ${r.nextRun ?? '-'}\n`);
        }),
      ),
  );

  const simple = (name: string, description: string, fn: (h: ScheduleHandle) => Promise<unknown>, done: string) =>
    withConnection(new Command(name))
      .description(description)
      .argument('<id>', 'schedule id')
      .addHelpText('after', `\nExample:\n  ptq schedule ${name} nightly`)
      .action(
        action(async (id: string, flags: object) => {
          await withSchedule(await clientFor(flags), id, fn);
          process.stdout.write(`${done} ${id}\n`);
        }),
      );

  schedule.addCommand(
    withConnection(new Command('describe'))
      .description('show a schedule, its next and recent runs')
      .argument('<id>', 'schedule id')
      .option('--json', 'print JSON')
      .addHelpText('after', '\nExample:\n  ptq schedule describe nightly --json')
      .action(
        action(async (id: string, flags: { json?: boolean }) => {
          const client = await clientFor(flags);
          const described = await withSchedule(client, id, async (h) => scheduleInfo(await h.describe()));
          // How each recent run ended (or that it still runs), from ptq's search attributes.
          const recentRuns = await Promise.all(
            described.recentRuns.map(async (r) => ({ ...r, status: await runStatus(client, r.id) })),
          );
          const info = { ...described, recentRuns };
          if (flags.json) return printJson(info);
          const { spec, plan } = info;
          const when = spec.text ?? (spec.intervals.length ? `every ${spec.intervals.join(', ')}` : 'calendar');
          process.stdout.write(
            [
              `${info.id}: ${info.paused ? 'paused' : 'active'}, ${when}, overlap ${info.overlap}`,
              plan
                ? `  plan: ${plan.name}, ${plural(plan.tasks, 'task')}, M=${plan.maxConcurrency}, task queue ${plan.taskQueue}`
                : '',
              `  next: ${info.nextRuns.join(', ') || '-'}`,
              `  recent: ${recentRuns.map((r) => `${r.id} (${r.status})`).join(', ') || '-'}`,
            ]
              .filter(Boolean)
              .join('\n') + '\n',
          );
        }),
      ),
  );
  schedule.addCommand(simple('pause', 'pause a schedule', (h) => h.pause(), 'paused'));
  schedule.addCommand(simple('unpause', 'unpause a schedule', (h) => h.unpause(), 'unpaused'));
  schedule.addCommand(simple('trigger', 'start a run now', (h) => h.trigger(), 'triggered'));
  schedule.addCommand(simple('delete', 'delete a schedule (runs already started go on)', (h) => h.delete(), 'deleted'));
  return schedule;
}

async function runStatus(client: Client, id: string): Promise<string> {
  try {
    const d = await client.workflow.getHandle(id).describe();
    return d.typedSearchAttributes.get(searchAttributes.status) ?? d.status.name.toLowerCase();
  } catch {
    return 'unknown';
  }
}
