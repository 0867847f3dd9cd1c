// The API's answers as the page uses them (see src/api/schemas.ts and src/core/report on the server).

export type Status = 'pending' | 'ready' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface Listing {
  id: string;
  status: string;
  plan: string | null;
  done: number | null;
  total: number | null;
  startedAt: string;
  closedAt: string | null;
  durationMs: number;
  costUsd: number | null;
  retryOf: string | null;
}

export interface MapItems {
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  notStarted: number;
}

export interface MapProgress {
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  running: number;
  notStarted: number;
  maxParallel: number;
  paused: boolean;
  stop: { reason: string } | null;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

export interface Progress {
  status: string;
  paused: boolean;
  maxConcurrency: number;
  total: number;
  counts: Record<Status, number>;
  running: Array<{ id: string; startedAt: string; items?: MapProgress }>;
  reason: string | null;
  groups?: Array<{ name: string; phase: string; done: number; failed: number; total: number }>;
  usage?: Usage;
}

export interface Summary {
  status: string;
  maxConcurrency: number;
  startedAt: string;
  endedAt: string;
  makespanMs: number;
  workMs: number;
  criticalPathMs: number;
  speedup: number;
  efficiency: number;
  reason: string | null;
  cost: { totalUsd: number | null };
}

export interface RunView {
  id: string;
  url: string | null;
  status: string;
  progress?: Progress;
  summary?: Summary;
  server?: { status: string; why?: string; startedAt?: string };
}

export interface GraphTask {
  id: string;
  title?: string;
  dependsOn: string[];
  group?: string;
  phase?: 'before' | 'after';
  final?: true;
  child: boolean;
  map?: { size: number | null; maxParallel: number };
  estimateMs: number;
  level: number;
}

export interface Graph {
  plan: string;
  maxConcurrency: number;
  tasks: GraphTask[];
  criticalPath: string[];
  criticalPathMs: number;
  workMs: number;
  lowerBoundMs: number;
}

export interface TaskRow {
  id: string;
  status: Status;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  worker: string | null;
  why: string | null;
  items?: MapItems;
  stop?: string;
  costUsd?: number | null;
}

export interface TaskRows {
  running: boolean;
  tasks: TaskRow[];
}

export interface TaskDetail extends TaskRow {
  title?: string;
  error: string | null;
  reason: string | null;
  output: string | null;
  durationMs: number | null;
  usage?: Usage;
  merge?: Record<string, unknown>;
}

export interface TaskLog {
  status: string;
  live: boolean;
  text: string;
  offset: number;
}

/** One event of the run's stream: a task's step, or a retry of a running task's step. */
export interface FeedEvent {
  at: string;
  task: string;
  event: 'started' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'retrying';
  attempts?: number;
  attempt?: number;
  why?: string;
}
