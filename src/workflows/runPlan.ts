import { ApplicationFailure } from '@temporalio/workflow';
import { validatePlan, type RunSummary } from '../core';
import type { RunPlanInput } from '../shared';
import { PlanRun } from './planRun';

/**
 * The orchestrator: runs a plan as a dependency-aware ready queue of child workflows, at most M at
 * a time, critical path first. The plan is validated again here because histories outlive clients.
 */
export async function runPlan(input: RunPlanInput): Promise<RunSummary> {
  const checked = validatePlan(input.plan);
  if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.error.join('; '), 'PlanValidationError');
  const run = new PlanRun(checked.value, input);
  run.registerHandlers();
  return run.execute();
}
