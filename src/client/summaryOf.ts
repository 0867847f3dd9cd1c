import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { RunSummary } from '../core';
import { isFailureType } from '../core/failures';
import { ExitCode, PtqError } from '../errors';
import type { BuiltinActivities } from '../activities';
import type { ptqRun } from '../workflows';

/** The activity whose input keeps a cancelled run's summary. */
const RECORD_SUMMARY_ACTIVITY: keyof BuiltinActivities = 'recordRunSummary';

/**
 * Waits for a run to end and returns its summary, however it ended. A run ends as its outcome (see
 * the workflow's `endAs`): a failed run's summary is its failure's details, a cancelled run's is the
 * input of the last activity it ran. Runs recorded before that simply return it. A terminated run
 * has none: one line says so. Anything else (timed out, a ptq bug) is thrown as it came.
 */
export async function summaryOf(handle: WorkflowHandle<typeof ptqRun>): Promise<RunSummary> {
  try {
    return await handle.result();
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && isFailureType(cause.type, 'RunFailed') && cause.details?.[0])
      return cause.details[0] as RunSummary;
    if (cause instanceof TerminatedFailure)
      throw new PtqError(
        `run "${handle.workflowId}" was terminated (${cause.message}), so it has no summary`,
        ExitCode.cancelled,
        `\`ptq status ${handle.workflowId}\` shows what the server knows of it`,
      );
    if (cause instanceof CancelledFailure) {
      const kept = await recordedSummary(handle);
      if (kept) return kept;
    }
    throw err;
  }
}

/** The summary a cancelled run recorded just before it ended: near the end of its last run's history. */
async function recordedSummary(handle: WorkflowHandle<typeof ptqRun>): Promise<RunSummary | undefined> {
  const { workflowService, options } = handle.client;
  const page = await workflowService.getWorkflowExecutionHistoryReverse({
    namespace: options.namespace,
    execution: { workflowId: handle.workflowId },
    maximumPageSize: 50,
  });
  const scheduled = page.history?.events?.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === RECORD_SUMMARY_ACTIVITY,
  )?.activityTaskScheduledEventAttributes;
  if (!scheduled?.input?.payloads) return undefined;
  return decodeFromPayloadsAtIndex<RunSummary>(options.loadedDataConverter, 0, scheduled.input.payloads);
}
