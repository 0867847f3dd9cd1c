import { proxyActivities } from '@temporalio/workflow';

/** ptq's own workflows plus the baselines below, bundled together for the benchmarks. */
export * from '../src/workflows';

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

/** Experiment: n timers of 1ms. */
export async function timers(n: number): Promise<number> {
  const { sleep } = await import('@temporalio/workflow');
  for (let i = 0; i < n; i++) await sleep(1);
  return n;
}
export async function empty(): Promise<number> {
  return 0;
}
