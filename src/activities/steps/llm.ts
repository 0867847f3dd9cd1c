import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { LlmStep, Usage } from '../../core';
import { ModelCallError } from '../../llm/providers';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './stepResult';
import { callModel } from '../../llm/call';
import { asStepOptions, jsonOf, prepare } from './stepOptions';

/** An llm step's result: the text, plus what it cost. */
export interface LlmResult extends StepResult {
  usage: Usage;
}

/**
 * Sends the step's prompt to the worker's configured provider (PTQ_PLANNER, PTQ_MODEL,
 * PTQ_BASE_URL, key from the environment), after resolving its templates (`{{tasks.ID.output}}`...).
 * It heartbeats while waiting and aborts the HTTP call when the task is cancelled.
 */
export async function runLlm(plainStep: LlmStep, optionsOrInputs?: unknown): Promise<LlmResult> {
  const ctx = Context.current();
  const options = asStepOptions(optionsOrInputs);
  const step = prepare(plainStep, options);
  const signals = [ctx.cancellationSignal, ...(step.timeout ? [AbortSignal.timeout(step.timeout)] : [])];
  const stopHeartbeats = keepHeartbeating();
  try {
    const { text, usage } = await callModel({
      model: step.model,
      system: step.system,
      prompt: step.prompt,
      maxOutputTokens: step.maxOutputTokens,
      abortSignal: AbortSignal.any(signals),
    });
    return { ...stepResult(text, jsonOf(text, options, text), options?.release), usage };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('llm step cancelled; request aborted');
    if (err instanceof ModelCallError) throw stepFailure(err.message, 'LlmError', '', { retryable: err.retryable });
    throw err; // ours, e.g. an answer that is not JSON
  } finally {
    stopHeartbeats();
  }
}
