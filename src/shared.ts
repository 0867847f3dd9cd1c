import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Plan, Policy } from './core/plan/plan';
import type { RetryOf } from './core/schedule/retryOf';
import type { MapProgress } from './core/schedule/map';
import type { ShardEnds } from './core/schedule/shards';
import type { MapItem } from './workflows/mapItems';
import type { EventPage } from './core/report/events';
import type { Progress } from './core/report/progress';
import type { SchedulerState } from './core/schedule/scheduler';
import type { TaskSummary } from './core/report/summary';
import type { TaskRow } from './core/report/taskRows';
import type { PlanRequestInput } from './planner/request';
import type { OpenWorkspace } from './core/workspace';

/**
 * Names shared by the client, the worker and the workflows. Kept in one file so a rename cannot
 * leave one side behind.
 */

/** The task queue ptq workers poll unless told otherwise. */
export const DEFAULT_TASK_QUEUE = 'ptq';

/**
 * The workflow type of a run: the one the client starts, and the frozen one of runs started before
 * it (workflows/legacy), which `ptq list` shows too.
 */
export const RUN_WORKFLOW_TYPES = ['ptqRun', 'runPlan'] as const;

/**
 * Where a continued run finds its plan: the execution of the same workflow whose input holds it.
 * The plan never changes between generations, so they do not carry it through continue-as-new;
 * the server holds it, so a worker on any machine can read it (see temporal/planSource.ts).
 */
export interface PlanSource {
  /** The run (execution) of this workflow whose input has the plan. */
  runId: string;
  /** When that run started (ms): a closed run is deleted once the namespace's retention has passed. */
  at: number;
}

/** Input of the orchestrator workflow. Plans are validated before they get here, and again inside. */
export interface RunPlanInput {
  /** A validated plan, or... */
  plan?: Plan;
  /** ...in a continued run, where the plan is instead of here: it is not carried (see temporal/planSource.ts). */
  planFrom?: PlanSource;
  /** ...written requirements for the AI planning activity to turn into one. */
  requirements?: PlanRequestInput;
  /** Wait for `approve` (or `reject`) after planning, before anything runs. */
  approve?: boolean;
  policy?: Policy;
  maxConcurrency?: number;
  /** Values of the plan's params, checked and typed by the client. */
  params?: Record<string, string | number | boolean>;
  /** Set by continue-as-new: where the previous run left off. */
  resume?: {
    state: SchedulerState;
    startedAt: number;
    generation: number;
    workspace?: OpenWorkspace;
    /** The plan's size gzipped (or a bound of it), measured once for the payload check (see carriedSize.ts). */
    planBytes?: number;
  };
  /** `ptq retry`: the ended run this one retries, and the tasks it keeps from it. */
  retry?: RetryOf;
  /** Continue as new after starting this many tasks in one run (tests force the boundary with it). */
  continueAsNewAfter?: number;
  /** Activities per shard of a wide map, if not 500 (tests force small shards with it). */
  shardSize?: number;
}

/** The run's memo key holding what its llm and agent steps cost so far, in USD. */
export const COST_MEMO = 'ptqCostUsd';

/** Memo of a run `ptq retry` started: the run it retries, so `ptq list` can show it from the server alone. */
export const RETRY_OF_MEMO = 'ptqRetryOf';

/** Child workflow ids are `${runId}/${taskId}` so the UI groups them under their run. */
export function taskWorkflowId(runId: string, taskId: string): string {
  return `${runId}/${taskId}`;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal<[reason?: string]>('cancel');
export const progressQuery = defineQuery<Progress>('progress');
/** The run's recent task events after a position: what `ptq watch` prints. */
export const eventsQuery = defineQuery<EventPage, [after: number]>('events');
export const setConcurrencyUpdate = defineUpdate<number, [n: number]>('setConcurrency');
export const planQuery = defineQuery<Plan | null>('plan');
/** One task of a live run, by id (`ptq status RUN/TASK`); null when the run has no such task. */
export const taskQuery = defineQuery<TaskSummary | null, [task: string]>('task');
/** Every task of a live run, without outputs: what the dashboard draws. */
export const taskRowsQuery = defineQuery<TaskRow[]>('taskRows');
/** A map task's own progress (its child workflow answers it). */
export const mapProgressQuery = defineQuery<MapProgress>('mapProgress');
/** Changes a running map's maxParallel: `ptq set-concurrency RUN --task ID N`. */
export const setMaxParallelUpdate = defineUpdate<number, [n: number]>('setMaxParallel');
/** The run tells its running maps its new M, which caps them too. */
export const runConcurrencySignal = defineSignal<[n: number]>('runConcurrency');
/** A map hands its shard (core/schedule/shards.ts) items to run, in units of one activity each. */
export const shardGrantSignal = defineSignal<[units: MapItem[][]]>('shardGrant');
/** A map tells its shards to stop their items (a stop with `onStop: cancel`, or a failure). */
export const shardStopSignal = defineSignal('shardStop');
/** A map has no more items for a shard: it ends once all of its items have reported. */
export const shardCloseSignal = defineSignal('shardClose');
/** A shard reports items that ended to its map. */
export const shardEndsSignal = defineSignal<[ends: ShardEnds]>('shardEnds');
export const approveUpdate = defineUpdate<string>('approve');
export const rejectUpdate = defineUpdate<string, [reason: string]>('reject');

/** Custom search attributes; they must be registered on the server (see README). */
export const searchAttributes = {
  plan: defineSearchAttributeKey('PtqPlan', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('PtqStatus', SearchAttributeType.KEYWORD),
  total: defineSearchAttributeKey('PtqTasksTotal', SearchAttributeType.INT),
  done: defineSearchAttributeKey('PtqTasksDone', SearchAttributeType.INT),
} as const;

/** `--search-attribute` flags for `temporal server start-dev`, from the keys above. */
export const SEARCH_ATTRIBUTE_FLAGS = Object.values(searchAttributes).flatMap((k) => [
  '--search-attribute',
  `${k.name}=${k.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`,
]);
