import { ActivityCancellationType, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { BuiltinActivities } from '../src/activities';
import type { ShellStep } from '../src/core/plan/plan';

/** ptq's own workflows plus the baselines, bundled together for the benchmarks. */
export * from '../src/workflows';
export { bareChildChain, bareChildFanOut, noopChild } from './bareChildren';

const { noop } = proxyActivities<{ noop(input: unknown): Promise<unknown> }>({ startToCloseTimeout: '1m' });

/** Baseline: n activities from one workflow, at most m in flight (a sliding window of promises). */
export async function bareFanOut(n: number, m: number): Promise<number> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await noop({ id: `t${i}` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, m) }, lane));
  return n;
}

/** Baseline: n activities one after another, for activity-to-activity hop latency. */
export async function bareChain(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await noop({ id: `c${i}` });
  return n;
}

/** Baseline: n timers one after another, for timer-to-timer hop latency (sleep tasks). */
export async function bareSleepChain(n: number, ms: number): Promise<number> {
  for (let i = 0; i < n; i++) await sleep(ms);
  return n;
}

const { runItemBatch } = proxyActivities<BuiltinActivities>({ startToCloseTimeout: '10m', heartbeatTimeout: '30s' });

/**
 * Baseline of a batched map: ptq's batch activity over items `0..n-1`, `batch` a call, `lanes`
 * calls at once, each item a GET of `url` (with `{{item}}`), without the map's spool, pages,
 * results file or continue-as-new.
 */
export async function bareItemBatches(n: number, batch: number, lanes: number, url: string): Promise<number> {
  const steps = [{ type: 'http' as const, method: 'GET' as const, url, expectStatus: [200] }];
  const context = { tasks: {}, params: {}, run: { id: workflowInfo().workflowId }, task: { id: 'each' } };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const from = next;
      next = Math.min(n, next + batch);
      const items = Array.from({ length: next - from }, (_, k) => ({ index: from + k, item: from + k }));
      await runItemBatch({ steps, items, context });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return n;
}

const { runShell } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Baseline: the same shell steps as bare activities of one workflow, for time-to-stop on cancel. */
export async function bareShellFanOut(steps: ShellStep[]): Promise<void> {
  await Promise.all(steps.map((step) => runShell(step)));
}
