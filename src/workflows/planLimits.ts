import { proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import type { Plan } from '../core/plan/plan';

const { ensureLimits } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * Creates the named rate limits a plan declares and the namespace does not have yet, once per
 * run (not again after continue-as-new). Plans without limits schedule nothing, so histories of
 * runs from before limits existed replay unchanged.
 */
export async function ensurePlanLimits(plan: Plan, resumed: boolean): Promise<void> {
  if (resumed || Object.keys(plan.limits ?? {}).length === 0) return;
  await ensureLimits(plan.limits);
}
