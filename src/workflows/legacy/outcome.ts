/*
 * FROZEN: a copy of the workflow code of ptq 0.1 before its workflow types were renamed, with its
 * patched() calls. Runs recorded on the old types (runPlan, runTask, runMap) replay on this code:
 * in-flight runs and test/fixtures/histories v1-v8. Never edit it, except import paths; a change
 * belongs in the live types (../ptqRun and its parts). See README, Layout: replay.
 */
import {
  ApplicationFailure,
  CancelledFailure,
  CancellationScope,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { BuiltinActivities } from '../../activities';
import { failureOf } from '../../core/failures';
import { outcomeLine, type RunSummary } from '../../core/report/summary';

/** Runs recorded before this patch completed whatever their outcome; they must replay that way. */
export const OUTCOME_PATCH = 'run-ends-as-its-outcome';

const { recordRunSummary } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});

/**
 * Ends the run the way it went, so the Web UI, `temporal workflow list --query
 * 'ExecutionStatus="Failed"'` and alerting agree with its summary: a succeeded run completes with
 * it; a failed one fails (`RunFailed`, the summary as the failure's details); a cancelled one is
 * Cancelled, after recording its summary for `ptq result` (a cancel carries no details).
 */
export async function endAs(summary: RunSummary): Promise<RunSummary> {
  if (summary.status === 'succeeded' || summary.status === 'running' || !patched(OUTCOME_PATCH)) return summary;
  const line = outcomeLine(summary);
  if (summary.status === 'failed') {
    throw ApplicationFailure.create({ ...failureOf('RunFailed', line), details: [summary] });
  }
  await CancellationScope.nonCancellable(() => recordRunSummary(summary));
  throw new CancelledFailure(line);
}
