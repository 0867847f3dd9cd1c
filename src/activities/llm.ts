import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { generateText } from 'ai';
import type { LlmStep, Usage } from '../core';
import { addUsage, noUsage } from '../planner/prices';
import { classifyModelError, languageModel } from '../planner/providers';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './context';

/** An llm step's result: the text, plus what it cost. */
export interface LlmResult extends StepResult {
  usage: Usage;
}

/**
 * Sends the step's prompt to the worker's configured provider (PTQ_PLANNER, PTQ_MODEL,
 * PTQ_BASE_URL, key from the environment). `{{tasks.ID.output}}` is replaced by dependency
 * outputs. It heartbeats while waiting and aborts the HTTP call when the task is cancelled.
 */
export async function runLlm(step: LlmStep, inputs: Record<string, string> = {}): Promise<LlmResult> {
  const ctx = Context.current();
  const choice = { model: step.model };
  const prompt = step.prompt.replace(/\{\{\s*tasks\.([\w.:-]+)\.output\s*\}\}/g, (_, id: string) => inputs[id] ?? '');
  const signals = [ctx.cancellationSignal, ...(step.timeout ? [AbortSignal.timeout(step.timeout)] : [])];
  const stopHeartbeats = keepHeartbeating();
  try {
    const { model, modelId } = languageModel(choice);
    const result = await generateText({
      model,
      system: step.system,
      prompt,
      maxOutputTokens: step.maxOutputTokens,
      maxRetries: 0,
      abortSignal: AbortSignal.any(signals),
    });
    const usage = addUsage(noUsage(), modelId, result.usage.inputTokens, result.usage.outputTokens);
    return { ...stepResult(result.text), usage };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('llm step cancelled; request aborted');
    const e = classifyModelError(err, choice);
    throw stepFailure(e.message, 'LlmError', '', !e.retryable);
  } finally {
    stopHeartbeats();
  }
}
