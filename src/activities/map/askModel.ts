import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import type { Usage } from '../../core';
import { saysStop, stopQuestion, type ModelCheck } from '../../core/schedule/stopQuestion';
import { ModelCallError } from '../../llm/providers';
import { keepHeartbeating } from '../steps/stepResult';
import { callModel } from '../../llm/call';

/**
 * `until: {llm: ...}`: asks the worker's model whether the map may stop ("all sources verified?"),
 * showing it the counts and the latest results. Only a plain "yes" stops the map; anything else
 * goes on, so an unclear answer never ends work early. The call's cost is counted.
 */
export async function askModelToStop(check: ModelCheck): Promise<{ stop: boolean; answer: string; usage: Usage }> {
  const prompt = stopQuestion(check);
  const stopHeartbeats = keepHeartbeating();
  try {
    const { text, usage } = await callModel({
      model: check.model,
      prompt,
      abortSignal: Context.current().cancellationSignal,
    });
    const answer = text.trim().slice(0, 200);
    return { stop: saysStop(answer), answer, usage };
  } catch (err) {
    if (!(err instanceof ModelCallError)) throw err;
    throw ApplicationFailure.create(failureOf('LlmError', `until: ${err.message}`, err.retryable));
  } finally {
    stopHeartbeats();
  }
}
