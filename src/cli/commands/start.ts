import type { Client, WorkflowHandle } from '@temporalio/client';
import { Command, Option } from 'commander';
import { Fairness, MAX_CONCURRENCY, POLICIES, type Policy } from '../../core';
import type { PlanRequestInput } from '../../planner';
import { exitCodeFor, runLink, startPlanned, startRun } from '../../client';
import type { ConnectionFlags } from '../../temporal/connection';
import { type ExitCode, PtqError } from '../../errors';
import type { ptqRun } from '../../workflows';
import { loadPlanFile, type ImportFlags } from '../../planFile';
import { importFlagsOf, withImportFlags } from '../importFlags';
import { rideOutOutage } from '../../client/outage';
import { summaryOf } from '../../client/summaryOf';
import { action, addressOf, clientFor, intOption, paramsFor, printJson, withConnection, withParams } from '../common';
import { planRequest, withPlannerFlags, type RequirementsFlags } from '../requirements';
import { summaryTable } from '../render';
import { watchRun } from '../watch';

interface StartFlags extends RequirementsFlags, ImportFlags {
  plan?: string;
  approve?: boolean;
  id?: string;
  maxConcurrency?: number;
  policy?: Policy;
  taskQueue?: string;
  wait?: boolean;
  watch?: boolean;
  json?: boolean;
  param?: string[];
  priority?: number;
  fairnessKey?: string;
  fairnessWeight?: number;
}

/** `ptq start`: validate locally, start a durable run, optionally wait or watch. */
export function startCommand(): Command {
  return withImportFlags(withParams(withPlannerFlags(withConnection(new Command('start')))))
    .description('start a run of a plan file (validated locally first), or of requirements planned by AI')
    .option('--plan <file>', 'plan file, JSON or YAML')
    .option('--approve', 'with --requirements: wait for `ptq approve ID` before running the plan')
    .option('--id <id>', 'run id (default: plan name + time)')
    .option(
      '--max-concurrency <n>',
      'M: tasks running at once (overrides the plan)',
      intOption('--max-concurrency', 1, MAX_CONCURRENCY),
    )
    .addOption(new Option('--policy <policy>', 'ready-queue order').choices(POLICIES))
    .option('--task-queue <queue>', 'task queue of the workers', 'ptq')
    .option(
      '--priority <n>',
      "the run's place on the workers' queues: 1 (first) to 5 (last)",
      intOption('--priority', 1, 5),
    )
    .option('--fairness-key <key>', 'runs with the same key share one share of the workers (default: the run id)')
    .option('--fairness-weight <w>', "this run's share of the workers relative to others (default 1)", parseFloat)
    .option('--wait', 'wait for the end and print the summary')
    .option('--watch', 'show live progress until the end')
    .option('--json', 'print JSON')
    .option('--sync-status', 'TaskMaster tasks.json: write in-progress/done back to it as tasks start and end')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq start --plan examples/build-app.json --watch\n  ptq start --plan .taskmaster/tasks/tasks.json --sync-status --watch\n  ptq start --plan specs/001/tasks.md --base examples/agents/workspace.yaml --watch   # a spec-kit list, one agent per task\n  ptq start --plan examples/pipeline.yaml -p env=staging -p shards=8 --wait\n  ptq start --plan plan.yaml --id nightly-1 --wait --json\n  ptq start --requirements-file spec.md --budget 4 --provider openai --approve',
    )
    .action(
      action(async (flags: StartFlags) => {
        if (Boolean(flags.plan) === Boolean(flags.requirements || flags.requirementsFile)) {
          throw new PtqError('give --plan FILE, or --requirements / --requirements-file to plan with AI');
        }
        // Read and check everything local before touching the server: no half-started runs.
        const plan = flags.plan ? loadPlanFile(flags.plan, importFlagsOf(flags)) : undefined;
        const params = plan ? paramsFor(plan, flags.param) : undefined;
        const request = plan ? undefined : planRequest(flags);
        const fairness = fairnessOf(flags);
        const client = await clientFor(flags);
        const handle = plan
          ? await startRun(client, plan, { ...flags, params, fairness })
          : await startPlanned(client, request as PlanRequestInput, { ...flags, fairness });
        return followStart(client, handle, flags);
      }),
    );
}

/** `--fairness-key` and `--fairness-weight`, checked like the plan's `fairness`. */
function fairnessOf(flags: StartFlags): Fairness | undefined {
  if (flags.fairnessKey === undefined && flags.fairnessWeight === undefined) return undefined;
  const parsed = Fairness.safeParse({ key: flags.fairnessKey, weight: flags.fairnessWeight });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PtqError(`--fairness-${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

/** How to follow a run just started: print its id and link, or wait or watch and print the summary. */
export interface FollowFlags extends ConnectionFlags {
  wait?: boolean;
  watch?: boolean;
  json?: boolean;
}

export async function followStart(
  client: Client,
  handle: WorkflowHandle<typeof ptqRun>,
  flags: FollowFlags,
): Promise<ExitCode | undefined> {
  const id = handle.workflowId;
  const url = await runLink(client, id);
  const link = url ? `${url}\n` : '';
  if (!flags.wait && !flags.watch) {
    if (flags.json) printJson({ id, url: url ?? null });
    else process.stdout.write(`started ${id}\n${link}`);
    return undefined;
  }
  if (!flags.json) process.stderr.write(`started ${id}\n${link}`);
  const address = addressOf(flags);
  const summary =
    flags.watch && !flags.json
      ? await watchRun(client, id, { detachOnCtrlC: true, address })
      : await rideOutOutage(() => summaryOf(handle), address);
  if (flags.json) printJson(summary);
  else process.stdout.write(`${summaryTable(summary)}\n${link}`);
  return exitCodeFor(summary.status);
}
