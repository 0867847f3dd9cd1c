import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../core/failures';
import { validatePlan, type Plan } from '../core';

/**
 * Validates a plan with the zod schema on the worker. Workflows call it as a local activity
 * rather than importing zod, which would be re-evaluated for every workflow execution.
 */
export async function checkPlan(plan: unknown): Promise<Plan> {
  const checked = validatePlan(plan);
  if (!checked.ok) throw ApplicationFailure.create(failureOf('PlanValidationError', checked.error.join('; ')));
  return checked.value;
}
