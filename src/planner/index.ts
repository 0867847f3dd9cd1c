import type { Plan } from '../core';
import { planWithModel } from './model';
import { planOffline } from './offline';
import { resolveChoice } from '../llm/providers';
import { PlanRequest, type PlanRequestInput } from './request';

export { PlannerOutputError } from './model';
export { ModelCallError, PROVIDERS, type Provider } from '../llm/providers';
export { PlanRequest, type PlanRequestInput } from './request';

/**
 * Turns written requirements into a validated plan with the chosen provider (flag, or PTQ_PLANNER
 * on the worker; `offline` when neither is set). Used in-process by `ptq plan` and as an activity.
 */
export async function planTasks(input: PlanRequestInput, signal?: AbortSignal): Promise<Plan> {
  const request = PlanRequest.parse(input);
  return resolveChoice(request).provider === 'offline' ? planOffline(request) : planWithModel(request, signal);
}
