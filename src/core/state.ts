import type { Policy, Usage } from './plan';
import type { TaskStatus } from './status';

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
  /** Why a task was skipped or cancelled. */
  reason?: string;
  usage?: Usage;
}

/** Why a run stopped starting new work. */
export interface Halt {
  kind: 'cancelled' | 'fail-fast';
  reason: string;
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
}

/** What a finished child reports back. */
export interface TaskOutcome {
  endedAt: number;
  attempts?: number;
  worker?: string;
  output?: string;
  error?: string;
  usage?: Usage;
}
