import { Context } from '@temporalio/activity';
import type { LimitSpec } from '../../core/plan/plan';
import { LimitStore } from '../../temporal/limits';

/**
 * A run's first step when its plan declares limits: creates those that do not exist yet in the
 * namespace (an existing one keeps its own values, as `ptq limit set` left it). Workers pick the
 * new ones up within a second (activities/limits/pollers.ts); steps scheduled before wait on the
 * server. Returns the names it created.
 */
export async function ensureLimits(limits: Record<string, LimitSpec>): Promise<string[]> {
  const ctx = Context.current();
  return new LimitStore(ctx.client.workflowService, ctx.info.activityNamespace).createMissing(limits);
}
