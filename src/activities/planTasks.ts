import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import type { Plan } from '../core';
import { failureOf } from '../core/failures';
import { ModelCallError, planTasks as plan, type PlanRequestInput } from '../planner';
import { checkRequestedBaseUrl } from '../llm/providers';
import { keepHeartbeating } from './steps/stepResult';

/**
 * The AI planning activity. Rate limits and server errors are thrown as retryable so Temporal's
 * policy retries them; a bad key, no quota, an unknown model or output that stays invalid after
 * repair are final. API keys come from this worker's environment and never leave it.
 */
export async function planTasks(request: PlanRequestInput): Promise<Plan> {
  const stopHeartbeats = keepHeartbeating();
  try {
    checkRequestedBaseUrl(request.baseUrl);
    return await plan(request, Context.current().cancellationSignal);
  } catch (err) {
    if (err instanceof ModelCallError) {
      throw ApplicationFailure.create(failureOf('PlannerError', err.message, err.retryable));
    }
    if (err instanceof ZodError) {
      const message = `bad planning request: ${err.issues.map((i) => i.message).join('; ')}`;
      throw ApplicationFailure.create(failureOf('PlannerError', message, false));
    }
    throw err;
  } finally {
    stopHeartbeats();
  }
}
