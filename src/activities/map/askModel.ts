import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import type { Usage } from '../../core';
import type { ItemResult } from '../../core/schedule/map';
import { ModelCallError } from '../../llm/providers';
import { keepHeartbeating } from '../steps/stepResult';
import { callModel } from '../../llm/call';

/** What a map's model check sees: the question, the counts and the latest results. */
export interface ModelCheck {
  prompt: string;
  model?: string;
  counts: { done: number; total: number; succeeded: number; failed: number };
  latest: ItemResult[];
}

/**
 * `until: {llm: ...}`: asks the worker's model whether the map may stop ("all sources verified?"),
 * showing it the counts and the latest results. Only a plain "yes" stops the map; anything else
 * goes on, so an unclear answer never ends work early. The call's cost is counted.
 */
export async function askModelToStop(check: ModelCheck): Promise<{ stop: boolean; answer: string; usage: Usage }> {
  const { done, total, succeeded, failed } = check.counts;
  const latest = check.latest.map(({ index, item, ok, json, output, error }) =>
    JSON.stringify({ index, item, ok, json, output: output.slice(-200), error }),
  );
  const prompt = [
    check.prompt,
    '',
    `Progress: ${done} of ${total} items done, ${succeeded} succeeded, ${failed} failed.`,
    'Latest results, one JSON per line:',
    ...latest,
    '',
    'Should the work stop now? Answer with one word: yes or no.',
  ].join('\n');
  const stopHeartbeats = keepHeartbeating();
  try {
    const { text, usage } = await callModel({
      model: check.model,
      prompt,
      abortSignal: Context.current().cancellationSignal,
    });
    const answer = text.trim().slice(0, 200);
    return { stop: /^yes\b/i.test(answer), answer, usage };
  } catch (err) {
    if (!(err instanceof ModelCallError)) throw err;
    throw ApplicationFailure.create(failureOf('LlmError', `until: ${err.message}`, err.retryable));
  } finally {
    stopHeartbeats();
  }
}
