import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { generateText } from 'ai';
import type { LlmStep, Usage } from '../core';
import { addUsage, noUsage } from '../planner/prices';
import { classifyModelError, languageModel } from '../planner/providers';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './context';
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
  const choice = { model: step.model };
  const signals = [ctx.cancellationSignal, ...(step.timeout ? [AbortSignal.timeout(step.timeout)] : [])];
  const stopHeartbeats = keepHeartbeating();
  try {
    const { model, modelId } = languageModel(choice);
    const result = await generateText({
      model,
      system: step.system,
      prompt: step.prompt,
      maxOutputTokens: step.maxOutputTokens,
      maxRetries: 0,
      abortSignal: AbortSignal.any(signals),
    });
    const usage = addUsage(noUsage(), modelId, result.usage.inputTokens, result.usage.outputTokens);
    return { ...stepResult(result.text, jsonOf(result.text, options, result.text)), usage };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('llm step cancelled; request aborted');
    if (err instanceof ApplicationFailure) throw err; // ours, e.g. an answer that is not JSON
    const e = classifyModelError(err, choice);
    throw stepFailure(e.message, 'LlmError', '', !e.retryable);
  } finally {
    stopHeartbeats();
  }
}
