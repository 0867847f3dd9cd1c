import { log } from '@temporalio/activity';
import type { RunSummary } from '../core';

/**
 * Keeps a cancelled run's summary in its history. A Cancelled workflow execution carries no details
 * (the SDK's cancel command has none), so the run hands its summary to this activity first: the
 * activity's input is where `ptq result` finds it (see `summaryOf`). It only logs one line.
 */
export async function recordRunSummary(summary: RunSummary): Promise<void> {
  log.info(`run ${summary.id} ${summary.status}`, { counts: summary.counts, reason: summary.reason });
}
