import type { Client, WorkflowHandle } from '@temporalio/client';
import { newRunId, startRun, type StartOptions } from '.';
import { describedRun, getPlan, getResult } from './control';
import { keptTasks, resolveParams, type Plan, type RunSummary } from '../core';
import { ExitCode, PtqError } from '../errors';
import type { ptqRun } from '../workflows';

/**
 * New runs made from an ended one, with its plan, parameters, policy and M. `retry` keeps what
 * succeeded (see core/schedule/retryOf.ts); `resubmit` starts over. A workspace plan's retry starts from the
 * ended run's integration branch, where the kept tasks' work is.
 */
export async function retryRun(
  client: Client,
  id: string,
  options: StartOptions & { from?: string[] },
): Promise<WorkflowHandle<typeof ptqRun>> {
  const { plan, summary } = await endedRun(client, id);
  let kept: ReturnType<typeof keptTasks>;
  try {
    kept = keptTasks(plan, summary.tasks, options.from);
  } catch (err) {
    throw new PtqError((err as Error).message, ExitCode.usage);
  }
  if (Object.keys(kept).length === plan.tasks.length)
    throw new PtqError(
      `run "${id}" ${summary.status}: every task succeeded, so there is nothing to retry`,
      ExitCode.usage,
      're-run part of it with --from TASK, or all of it with ptq resubmit',
    );
  const branch = summary.workspace?.branch;
  const from = plan.workspace && branch ? withBase(plan, branch) : plan;
  return startRun(client, from, { ...sameAs(summary, plan, options), retry: { run: id, kept } });
}

/**
 * The ended run's plan from scratch. `given` are `-p NAME=VALUE` values that replace the ended
 * run's own; checked against the plan like a start's.
 */
export async function resubmitRun(
  client: Client,
  id: string,
  { given, ...options }: StartOptions & { given?: Record<string, string> },
): Promise<WorkflowHandle<typeof ptqRun>> {
  const { plan, summary } = await endedRun(client, id);
  const again = sameAs(summary, plan, options);
  if (given && Object.keys(given).length) {
    const before = Object.fromEntries(Object.entries(summary.params).map(([k, v]) => [k, String(v)]));
    const params = resolveParams(plan, { ...before, ...given });
    if (!params.ok) throw new PtqError(params.error.join('; '), ExitCode.usage);
    again.params = params.value;
  }
  return startRun(client, plan, again);
}

async function endedRun(client: Client, id: string): Promise<{ plan: Plan; summary: RunSummary }> {
  const { description } = await describedRun(client, id);
  if (description.status.name === 'RUNNING')
    throw new PtqError(`run "${id}" is still running`, ExitCode.usage, 'wait for it to end, or `ptq cancel` it first');
  const [summary, plan] = await Promise.all([getResult(client, id), getPlan(client, id)]);
  if (!plan)
    throw new PtqError(`run "${id}" ended before it had a plan`, ExitCode.usage, 'start it again with ptq start');
  return { plan, summary };
}

/**
 * The ended run's policy, M and parameters, where `options` does not set them (an unset flag is
 * undefined). A run whose M was still automatic at its end finds its own M again; one whose M was
 * pinned (`--max-concurrency`, `set-concurrency`) keeps it.
 */
function sameAs(summary: RunSummary, plan: Plan, options: StartOptions): StartOptions {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return {
    policy: summary.policy as Plan['policy'],
    maxConcurrency: summary.maxConcurrencyAuto ? undefined : summary.maxConcurrency,
    params: summary.params as StartOptions['params'],
    ...set,
    id: options.id ?? newRunId(plan.name),
  };
}

function withBase(plan: Plan, base: string): Plan {
  const workspace = plan.workspace!;
  return { ...plan, workspace: { ...workspace, git: { ...workspace.git, base } } };
}
