import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  isGrpcServiceError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleSpec,
} from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, RUN_WORKFLOW_TYPES, type RunPlanInput } from '../shared';
import { newRunId, runOptions, type StartOptions } from '.';
import { formatDuration, type Plan } from '../core';
import { ExitCode, PtqError } from '../errors';

/** Overlap policies by their CLI names. */
export const OVERLAP = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
} as const;
export type Overlap = keyof typeof OVERLAP;

/** A recurring run of a plan. */
export interface ScheduleOptions extends StartOptions {
  cron?: string;
  everyMs?: number;
  /** `--every` as written ("1h"), shown back by describe. */
  every?: string;
  overlap?: Overlap;
  paused?: boolean;
}

/**
 * Creates a Temporal Schedule whose every action is an ordinary ptq run: same workflow, same search
 * attributes, so scheduled runs show up in `ptq list` and the Web UI like any other.
 */
export async function createSchedule(client: Client, plan: Plan, options: ScheduleOptions): Promise<string> {
  const id = options.id ?? newRunId(plan.name);
  const spec: ScheduleSpec = options.cron
    ? { cronExpressions: [options.cron] }
    : { intervals: [{ every: options.everyMs as number }] };
  try {
    await client.schedule.create({
      scheduleId: id,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: RUN_WORKFLOW_TYPES[0],
        workflowId: id,
        taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
        ...runOptions(plan, options, id),
      },
      policies: { overlap: OVERLAP[options.overlap ?? 'skip'] },
      // The server turns a cron string into calendars; keep what the user wrote, to show it back.
      memo: {
        [SPEC_MEMO]: options.cron
          ? `cron "${options.cron}"`
          : `every ${options.every ?? formatDuration(options.everyMs as number)}`,
      },
      state: { paused: options.paused ?? false, note: `ptq schedule of plan ${plan.name}` },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new PtqError(`a schedule with id "${id}" already exists`, ExitCode.usage, 'pick another --id');
    // The client reports the server's INVALID_ARGUMENT (e.g. a bad cron string) as a TypeError.
    if (err instanceof TypeError || (isGrpcServiceError(err) && err.code === 3)) {
      const why = isGrpcServiceError(err) ? err.details : err.message;
      throw new PtqError(
        `the server rejected the schedule: ${why}`,
        ExitCode.usage,
        'check --cron (e.g. "0 3 * * *") or --every',
      );
    }
    throw err;
  }
  return id;
}

/** Runs `fn` on a schedule handle, turning "not found" into a clear message. */
export async function withSchedule<T>(client: Client, id: string, fn: (h: ScheduleHandle) => Promise<T>): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(id));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new PtqError(`no schedule with id "${id}"`, ExitCode.usage, 'see `ptq schedule list`');
    throw err;
  }
}

const SPEC_MEMO = 'ptqSpec';

/** What `ptq schedule describe` shows: when, what, and the runs it made. */
export function scheduleInfo(d: ScheduleDescription) {
  const action = d.action.type === 'startWorkflow' ? d.action : undefined;
  const input = action?.args?.[0] as RunPlanInput | undefined;
  const written = d.memo?.[SPEC_MEMO];
  return {
    id: d.scheduleId,
    paused: d.state.paused,
    spec: {
      text: typeof written === 'string' ? written : null,
      calendars: d.spec.calendars ?? [],
      intervals: (d.spec.intervals ?? []).map((i) => i.every),
    },
    plan: input?.plan
      ? {
          name: input.plan.name,
          tasks: input.plan.tasks.length,
          maxConcurrency: input.maxConcurrency ?? input.plan.maxConcurrency,
          taskQueue: action?.taskQueue ?? null,
        }
      : null,
    overlap: d.policies.overlap,
    nextRuns: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({ at: a.takenAt.toISOString(), id: a.action.workflow.workflowId })),
    runningRuns: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}
