import { runAgent } from './steps/agent';
import { askModelToStop } from './map/askModel';
import { checkPlan, planFileLocks } from './checkPlan';
import { closeWorkspace, mergeTask, openWorkspace, prepareWorktree } from './workspace/git';
import { runHttp } from './steps/http';
import { runBrowser } from './steps/browser';
import { openItems, readItems } from './map/items';
import { runItemBatch } from './map/itemBatch';
import { keepResults } from './steps/kept';
import { stopTasks } from './localCancel';
import { runLlm } from './steps/llm';
import { llmTurn } from './steps/llmTurn';
import { runTool } from './tools/runTool';
import { measurePayload } from './measure';
import { loadPlan } from './loadPlan';
import { notifyRun } from './notify';
import { planTasks } from './planTasks';
import { recordRunSummary } from './recordSummary';
import { finishResults, writeResults } from './map/results';
import { lookLimitWaits, lookMapLimitWaits } from './limits/waits';
import { runShell } from './steps/shell';
import { syncTaskStatus } from './statusSync';
import { ensureLimits } from './limits/ensure';

export type { StepFailureDetails, StepResult } from './steps/stepResult';
export type { LlmResult } from './steps/llm';
export type { TurnInput, TurnResult } from './steps/llmTurn';
export type { ToolCallInput, ToolCallResult } from './tools/runTool';
export type { OpenedItems } from './map/items';
export type { MergeOutcome, OpenWorkspace, TaskPlace } from '../core/workspace';
export type { FinishedResults } from './map/results';
export type { StopTasksInput } from './localCancel';

/** A user activity callable from a plan's `activity` step. */
export type UserActivity = (input: unknown) => Promise<unknown>;

/** What the worker needs to build its activities. */
export interface ActivityDeps {
  /** Activities registered by the user, callable by name from `activity` steps. */
  userActivities?: Record<string, UserActivity>;
}

/** The built-in step activities, typed for `proxyActivities` in the workflows. */
export const builtinActivities = {
  askModelToStop,
  checkPlan,
  planFileLocks,
  closeWorkspace,
  ensureLimits,
  lookLimitWaits,
  lookMapLimitWaits,
  mergeTask,
  openWorkspace,
  prepareWorktree,
  finishResults,
  loadPlan,
  measurePayload,
  notifyRun,
  openItems,
  readItems,
  runItemBatch,
  planTasks,
  recordRunSummary,
  runShell: keepResults(runShell),
  runHttp: keepResults(runHttp),
  runBrowser: keepResults(runBrowser),
  runLlm: keepResults(runLlm),
  llmTurn: keepResults(llmTurn),
  runTool: keepResults(runTool),
  runAgent: keepResults(runAgent),
  stopTasks,
  syncTaskStatus,
  writeResults,
};
export type BuiltinActivities = typeof builtinActivities;

/**
 * Builds the activity map for a worker. A factory rather than a module so tests and embedders can
 * add their own activities without globals.
 */
export function createActivities(deps: ActivityDeps = {}): Record<string, (...args: never[]) => Promise<unknown>> {
  const clash = Object.keys(deps.userActivities ?? {}).find((name) => name in builtinActivities);
  if (clash) throw new Error(`user activity "${clash}" clashes with a built-in ptq activity: rename it`);
  return { ...builtinActivities, ...deps.userActivities };
}
