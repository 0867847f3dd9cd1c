import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

/**
 * Baselines made of bare child workflows. This file imports nothing but the SDK, so it is also a
 * workflow bundle of its own: what a child costs a bare Temporal worker, whose bundle has no
 * other code for each new workflow to load (bench/childHops.ts runs it so, next to ptq's bundle).
 */

const { noop } = proxyActivities<{ noop(input: unknown): Promise<unknown> }>({ startToCloseTimeout: '1m' });

/** Baseline: the same fan-out as `bareFanOut` with one bare child workflow per item, to separate
 * Temporal's cost of a child from ptq's own bookkeeping. */
export async function bareChildFanOut(n: number, m: number): Promise<number> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await executeChild(noopChild, { workflowId: `${workflowInfo().workflowId}/${i}`, args: [`t${i}`] });
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, m) }, lane));
  return n;
}

/** Baseline: n bare children one after another, each one activity: a child hop without ptq. */
export async function bareChildChain(n: number): Promise<number> {
  for (let i = 0; i < n; i++)
    await executeChild(noopChild, { workflowId: `${workflowInfo().workflowId}/${i}`, args: [`b${i}`] });
  return n;
}

/** The child of the baselines above: one activity. */
export async function noopChild(id: string): Promise<void> {
  await noop({ id });
}
