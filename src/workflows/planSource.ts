import { patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import type { Plan } from '../core/plan/plan';
import type { PlanSource, RunPlanInput } from '../shared';

// A server that is busy or restarting for a while must not fail a run that lasts for days: the read
// is tried for half an hour. A plan that is gone fails at once (PlanValidationError is not retried).
const { loadPlan } = proxyLocalActivities<BuiltinActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * A run continued as new reads its plan from the run that holds it again once that run started this
 * long ago: Temporal deletes a closed run once the namespace's retention (1 day at the least) has
 * passed, so the holder is always a run of the last half day, and carrying the plan costs a run
 * that lasts for days one generation in twelve hours.
 */
const HOLD_MS = 12 * 60 * 60 * 1000;

/** A continued run's plan, read from the run that holds it (a local activity, so it is in this run's history). */
export function loadedPlan(from: PlanSource): Promise<Plan> {
  return loadPlan(workflowInfo().workflowId, from);
}

/**
 * The run whose input holds the plan: the one this run was told of, else this run if its input has
 * the plan. Undefined for a plan the AI planner made in this run: the next run must carry it.
 */
export function planHolder(input: RunPlanInput): PlanSource | undefined {
  if (input.planFrom || !input.plan) return input.planFrom;
  const info = workflowInfo();
  return { runId: info.runId, at: info.runStartTime.getTime() };
}

/**
 * What the next generation gets of the plan: where it is, not the plan, unless no run holds it or
 * the holder is about to be deleted; then the plan itself, and the next run holds it. A 50,000-task
 * plan is 5.4 MB of JSON that every generation wrote, sent and read again.
 */
export function planToCarry(plan: Plan, holder: PlanSource | undefined): Pick<RunPlanInput, 'plan' | 'planFrom'> {
  if (!patched('plan-by-ref') || !holder || Date.now() - holder.at > HOLD_MS) return { plan, planFrom: undefined };
  return { plan: undefined, planFrom: holder };
}
