import { ActivityFailure, ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import type { Plan } from '../core/plan';
import type { RunSummary } from '../core/summary';
import type { RunPlanInput } from '../shared';
import { PlanRun } from './planRun';

const { checkPlan } = proxyLocalActivities<BuiltinActivities>({ startToCloseTimeout: '1 minute' });

/**
 * The orchestrator: runs a plan as a dependency-aware ready queue of child workflows, at most M at
 * a time, critical path first. The plan is validated again here because histories outlive clients.
 */
export async function runPlan(input: RunPlanInput): Promise<RunSummary> {
  const plan = input.resume ? input.plan : await validated(input.plan);
  const run = new PlanRun(plan, input);
  run.registerHandlers();
  return run.execute();
}

async function validated(plan: unknown): Promise<Plan> {
  try {
    return await checkPlan(plan);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'PlanValidationError') {
      throw ApplicationFailure.nonRetryable(cause.message, 'PlanValidationError');
    }
    throw err;
  }
}
