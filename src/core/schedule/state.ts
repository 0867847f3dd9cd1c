import type { MapItems } from './map';
import type { Policy, Usage } from '../plan/plan';
import type { TaskStatus } from './status';
import type { LimitUses } from '../report/limitUse';
import type { RunAutoState } from './runConcurrency';

/** What the scheduler remembers about one task. Plain JSON. */
export interface TaskRecord {
  status: TaskStatus;
  waitingOn: number;
  seq?: number;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  worker?: string;
  error?: string;
  output?: string;
  /** Parsed output of a task with `"output": "json"`, for templates and conditions of its dependents. */
  json?: unknown;
  /** Why a task was skipped or cancelled. */
  reason?: string;
  usage?: Usage;
  /** A map's results file (JSONL), for `{{tasks.ID.results}}`. */
  results?: string;
  /** A map: how its items went, and why it stopped early. */
  items?: MapItems;
  stop?: string;
  merge?: MergeRecord;
  /** Its steps' use of named rate limits, for the summary's limit section. */
  limits?: LimitUses;
}

/** How a task's work came back to the integration branch (plans with a workspace). */
export interface MergeRecord {
  /** Commits of the task that were merged (0: it changed nothing, or it failed). */
  commits: number;
  /** Merges that hit a conflict; with `onConflict: retry` a task can succeed after one. */
  conflicts: number;
  /** The files in conflict, at the last conflict. */
  files?: string[];
}

/** Why a run stopped starting new work. */
export interface Halt {
  kind: 'cancelled' | 'fail-fast' | 'budget';
  reason: string;
  /** Cancelled a second time: the tasks of `finally` are cancelled too. */
  final?: boolean;
}

/** The complete scheduler state: plain JSON, so it can cross continue-as-new as is. */
export interface SchedulerState {
  policy: Policy;
  maxConcurrency: number;
  paused: boolean;
  halt?: Halt;
  tasks: TaskRecord[];
  /** Min-heap of startable task indices. */
  ready: number[];
  /** Tasks held back by a full group or a held resource, keyed "g:name" / "r:name". */
  parked: Record<string, number[]>;
  running: Record<string, number>;
  groupRunning: Record<string, number>;
  resourceHolder: Record<string, number>;
  counts: Record<TaskStatus, number>;
  seq: number;
  currentLevel: number;
  levelLeft: number[];
  recentFailures: Array<{ id: string; error: string; at: number }>;
  /** Run parameters, for conditions. Absent in runs started before parameters existed. */
  params?: Record<string, unknown>;
  /** Tasks not of `finally` that have not ended; the tasks of `finally` start when it reaches 0. */
  mainLeft?: number;
  /** The critical-path order found by `searchPriority` at run start, when it beat longest-path-first. */
  rank?: number[];
  /**
   * True when `rank` is the start order of a schedule found by `searchSchedule` that idles a slot
   * on purpose: the queue then keeps to it (see `Scheduler.next`).
   */
  hold?: boolean;
  /**
   * Under `levels`, the tasks of `finally` have levels after all others (see `barrierLevels`).
   * Absent in runs from before, which replay with their old levels.
   */
  finallyLast?: boolean;
  /**
   * Steps the run's conditions have taken (see core/expr.ts); they may take MAX_RUN_CONDITION_STEPS
   * in all. Absent in runs from before the budget, whose conditions replay unbounded.
   */
  conditionSteps?: number;
  /** `maxConcurrency: auto`: the controller that sets `maxConcurrency` (see runConcurrency.ts); absent for a fixed M. */
  auto?: RunAutoState;
}

/** What a finished child reports back. */
export interface TaskOutcome {
  endedAt: number;
  attempts?: number;
  worker?: string;
  output?: string;
  json?: unknown;
  error?: string;
  usage?: Usage;
  results?: string;
  items?: MapItems;
  stop?: string;
  merge?: MergeRecord;
  limits?: LimitUses;
}
