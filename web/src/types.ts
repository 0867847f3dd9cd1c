// The API's answers as the page uses them: the server's own types, so the two cannot drift apart
// (type imports only: nothing of the server is bundled).
import type { FeedEvent as ServerFeedEvent } from '../../src/client/runEvents';
import type { RunListing } from '../../src/client/listRuns';
import type { TaskLog as ServerTaskLog } from '../../src/client/runView';
import type { MapItems as ServerMapItems, MapProgress as ServerMapProgress } from '../../src/core/schedule/map';
import type { Progress as ServerProgress } from '../../src/core/report/progress';
import type { RunGraph, GraphTask as ServerGraphTask } from '../../src/core/report/runGraph';
import type { RunSummary, TaskSummary } from '../../src/core/report/summary';
import type { TaskRow as ServerTaskRow } from '../../src/core/report/taskRows';
import type { TaskStatus } from '../../src/core/schedule/status';

export type Status = TaskStatus;
export type Listing = RunListing;
export type MapItems = ServerMapItems;
export type MapProgress = ServerMapProgress;
export type Progress = ServerProgress;
export type Summary = RunSummary;
export type GraphTask = ServerGraphTask;
export type Graph = RunGraph;
export type TaskRow = ServerTaskRow;
export type TaskDetail = TaskSummary;
export type TaskLog = ServerTaskLog;
export type FeedEvent = ServerFeedEvent;

/** GET /runs/{id}: a running run's progress, an ended run's summary, or what the server alone knows. */
export interface RunView {
  id: string;
  url: string | null;
  status: string;
  progress?: Progress;
  summary?: Summary;
  server?: { why?: string };
}

export interface TaskRows {
  running: boolean;
  tasks: TaskRow[];
}
