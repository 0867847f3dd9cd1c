import { log, proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import { neverRetried } from '../core/failures';
import type { Notify } from '../core/plan/plan';
import type { RunSummary } from '../core/report/summary';

const { notifyRun } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    maximumAttempts: 6,
    initialInterval: '1 second',
    backoffCoefficient: 2,
    nonRetryableErrorTypes: neverRetried('HttpBlockedAddress', 'SecretNotAllowed'),
  },
});

/** Posts the summary to every webhook that wants this outcome; one that fails for good is logged, never fails the run. */
export async function notifyHooks(hooks: Notify[], summary: RunSummary): Promise<void> {
  const wanted = hooks.filter((h) => (h.on as string[]).includes(summary.status));
  await Promise.all(
    wanted.map((hook) =>
      notifyRun({ hook, summary }).catch((err: unknown) =>
        log.warn('webhook failed for good', { error: err instanceof Error ? err.message : String(err) }),
      ),
    ),
  );
}
