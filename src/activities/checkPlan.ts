import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../core/failures';
import { validatePlan, type Plan } from '../core';
import { fileLocks } from '../core/plan/files';

/**
 * Validates a plan with the zod schema on the worker. Workflows call it as a local activity
 * rather than importing zod, which would be re-evaluated for every workflow execution.
 */
export async function checkPlan(plan: unknown): Promise<Plan> {
  const checked = validatePlan(plan);
  if (!checked.ok) throw ApplicationFailure.create(failureOf('PlanValidationError', checked.error.join('; ')));
  return checked.value;
}

/**
 * Each task's file mutexes, as indices into the distinct patterns (see `FileLocks`). Finding them
 * takes about a second for 50,000 tasks: a local activity, so it never counts against the time
 * limit of a workflow task. The workflow rebuilds the pattern list itself, so the result stays small.
 */
export async function planFileLocks(files: Array<string[] | undefined>): Promise<number[][]> {
  return fileLocks(files).held;
}
