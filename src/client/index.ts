import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import {
  formatDuration,
  MAX_RUN_ID_CHARS,
  plural,
  resolveParams,
  type ParamValue,
  type Plan,
  type Policy,
  type RetryOf,
  type RunSummary,
  type Fairness,
  runPriority,
} from '../core';
import { dataConverter } from '../temporal/codec';
import { connectionSettings, type ConnectionFlags } from '../temporal/connection';
import { ExitCode, PtqError, UnreachableError } from '../errors';
import { payloadProblem } from '../temporal/payloadSize';
import type { PlanRequestInput } from '../planner/request';
import { DEFAULT_TASK_QUEUE, RETRY_OF_MEMO, RUN_WORKFLOW_TYPES, searchAttributes, type RunPlanInput } from '../shared';
import type { ptqRun } from '../workflows';

/*
 * The client library (`ptq/dist/client`): connect, start runs and plans under fresh ids. The rest
 * of this folder controls and reads runs: control, results, events, logs, listings, schedules.
 */

/** Opens a client, turning connection failures into one clear line with exit code 3. */
export async function connectClient(flags: ConnectionFlags = {}): Promise<Client> {
  const settings = connectionSettings(flags);
  try {
    const connection = await Connection.connect({
      address: settings.address,
      tls: settings.tls,
      apiKey: settings.apiKey,
      metadata: settings.metadata,
      connectTimeout: 5_000,
    });
    return new Client({ connection, namespace: settings.namespace, dataConverter });
  } catch {
    throw new UnreachableError(settings.address);
  }
}

/** Options of a new run. */
export interface StartOptions {
  id?: string;
  policy?: Policy;
  maxConcurrency?: number;
  taskQueue?: string;
  continueAsNewAfter?: number;
  /** Activities per shard of a wide map, if not 500 (tests force small shards). */
  shardSize?: number;
  /** Values of the plan's params, already checked and typed (see `resolveParams`). */
  params?: Record<string, ParamValue>;
  /** `ptq retry`: the ended run this one retries, and what it keeps from it. */
  retry?: RetryOf;
  /** `--priority`: over the plan's `priority`. */
  priority?: number;
  /** `--fairness-key`, `--fairness-weight`: over the plan's `fairness`. */
  fairness?: Fairness;
}

/** Starts a run of a validated plan; rejects an id that was used before. */
export function startRun(
  client: Client,
  plan: Plan,
  options: StartOptions = {},
): Promise<WorkflowHandle<typeof ptqRun>> {
  const id = options.id ?? newRunId(plan.name);
  return startUnique(client, id, options, runOptions(plan, options, id));
}

/**
 * Starts a run that first asks the AI planning activity (on the worker, where the API keys are)
 * to turn written requirements into a plan, then runs it; with `approve`, it waits for approval.
 */
export function startPlanned(
  client: Client,
  requirements: PlanRequestInput,
  options: StartOptions & { approve?: boolean } = {},
): Promise<WorkflowHandle<typeof ptqRun>> {
  const name = requirements.name ?? 'planned';
  const { approve, policy, maxConcurrency } = options;
  const id = options.id ?? newRunId(name);
  return startUnique(client, id, options, {
    priority: runPriority({}, id, options),
    args: [{ requirements, approve, policy, maxConcurrency }],
    staticSummary: `${name}: planned by AI from requirements, ${requirements.budget ?? 4} parallel`,
    staticDetails: `**Requirements**\n\n${requirements.requirements}`,
    typedSearchAttributes: [
      { key: searchAttributes.plan, value: name },
      { key: searchAttributes.status, value: 'running' },
    ],
  });
}

/** Starts `ptqRun` under a fresh id; an id used before (even by a finished run) is refused. */
async function startUnique(
  client: Client,
  id: string,
  options: StartOptions,
  run: Pick<
    WorkflowStartOptions<typeof ptqRun>,
    'args' | 'staticSummary' | 'staticDetails' | 'typedSearchAttributes' | 'memo' | 'priority'
  >,
): Promise<WorkflowHandle<typeof ptqRun>> {
  if (id.length > MAX_RUN_ID_CHARS)
    throw new PtqError(`run id is ${id.length} characters; at most ${MAX_RUN_ID_CHARS} are allowed`, ExitCode.usage);
  const tooBig = await payloadProblem(run.args[0]);
  if (tooBig) throw new PtqError(tooBig, ExitCode.usage);
  try {
    return await client.workflow.start<typeof ptqRun>(RUN_WORKFLOW_TYPES[0], {
      ...run,
      workflowId: id,
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new PtqError(`a run with id "${id}" already exists`, ExitCode.usage, 'pick another --id or omit it');
    }
    throw err;
  }
}

/**
 * Input, Web UI metadata, search attributes and queue priority of a run (see core/schedule/fairness.ts);
 * shared by direct starts and schedules.
 */
export function runOptions(plan: Plan, options: StartOptions, runId: string) {
  const params = options.params ?? defaultParams(plan);
  const input: RunPlanInput = {
    plan,
    policy: options.policy,
    maxConcurrency: options.maxConcurrency,
    continueAsNewAfter: options.continueAsNewAfter,
    shardSize: options.shardSize,
    params,
    ...(options.retry ? { retry: options.retry } : {}),
  };
  const auto = plan.maxConcurrencyAuto;
  const parallel = options.maxConcurrency ?? (auto ? `auto ${auto.min}-${auto.max}` : plan.maxConcurrency);
  return {
    args: [input] as [RunPlanInput],
    staticSummary: `${plan.name}, ${plural(plan.tasks.length, 'task')}, ${parallel} parallel${options.retry ? `, retry of ${options.retry.run}` : ''}`,
    staticDetails: paramsTable(params) + planTable(plan),
    typedSearchAttributes: [
      { key: searchAttributes.plan, value: plan.name },
      { key: searchAttributes.status, value: 'running' },
      { key: searchAttributes.total, value: plan.tasks.length },
      { key: searchAttributes.done, value: 0 },
    ],
    ...(options.retry ? { memo: { [RETRY_OF_MEMO]: options.retry.run } } : {}),
    priority: runPriority(plan, runId, options),
  };
}

/** A readable, unique run id: plan name plus a time-based suffix. */
export function newRunId(planName: string): string {
  const slug =
    planName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'run';
  return `${slug}-${Date.now().toString(36)}`;
}

/** The params of a run started without `-p`: their defaults, or a clear line naming what is required. */
function defaultParams(plan: Plan): Record<string, ParamValue> {
  const resolved = resolveParams(plan, {});
  if (!resolved.ok) throw new PtqError(resolved.error.join('; '), ExitCode.usage);
  return resolved.value;
}

/** The run's parameters as a Markdown table (empty without params), above the task table. */
function paramsTable(params: Record<string, ParamValue> | undefined): string {
  const rows = Object.entries(params ?? {}).map(([k, v]) => `| ${k} | ${JSON.stringify(v)} |`);
  return rows.length ? ['| parameter | value |', '|---|---|', ...rows, '', ''].join('\n') : '';
}

/** The plan's tasks as a Markdown table, shown as the run's details in the Web UI. */
export function planTable(plan: Plan): string {
  const rows = plan.tasks.slice(0, 200).map((t) => {
    const deps = t.dependsOn.length ? t.dependsOn.join(', ') : '-';
    const est = t.estimate !== undefined ? formatDuration(t.estimate) : '-';
    return `| ${t.id} | ${t.title ?? ''} | ${deps} | ${est} | ${t.group ?? '-'} |`;
  });
  const more = plan.tasks.length > 200 ? [`| … ${plan.tasks.length - 200} more | | | | |`] : [];
  return ['| task | title | depends on | estimate | group |', '|---|---|---|---|---|', ...rows, ...more].join('\n');
}

/** The CLI's exit code for a run's final status. */
export function exitCodeFor(status: RunSummary['status']): ExitCode {
  switch (status) {
    case 'succeeded':
      return ExitCode.ok;
    case 'failed':
    case 'running':
      return ExitCode.failed;
    case 'cancelled':
      return ExitCode.cancelled;
  }
}

/** Controlling existing runs is part of the same library API. */
export * from './control';
export { summaryOf } from './summaryOf';
export { runLink } from './webUi';
export * from './listRuns';
