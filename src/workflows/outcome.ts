import { ApplicationFailure, CancelledFailure, CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import { failureOf } from '../core/failures';
import { outcomeLine, type RunSummary } from '../core/report/summary';

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
  if (summary.status === 'succeeded' || summary.status === 'running') return summary;
  const line = outcomeLine(summary);
  if (summary.status === 'failed') {
    throw ApplicationFailure.create({ ...failureOf('RunFailed', line), details: [summary] });
  }
  await CancellationScope.nonCancellable(() => recordRunSummary(summary));
  throw new CancelledFailure(line);
}
