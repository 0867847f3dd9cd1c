import { generateText, type ModelMessage } from 'ai';
import type { Usage } from '../core';
import { addUsage, noUsage } from './prices';
import { classifyModelError, languageModel } from './providers';

/*
 * The model layer's one call, for every llm step, `llm` item source and map `until` check on the
 * worker (the planner's repair loop, planner/model.ts, uses the same providers and prices).
 */

/** One model call from an activity: the worker's provider, no SDK retries, the call's cost. */
export interface ModelCall {
  model?: string;
  system?: string;
  prompt?: string;
  messages?: ModelMessage[];
  maxOutputTokens?: number;
  abortSignal: AbortSignal;
}

/**
 * Sends one request to the worker's configured model (PTQ_PLANNER, PTQ_MODEL, PTQ_BASE_URL, the key
 * from the environment) and prices what it used. Temporal owns retries, so the SDK makes none. A
 * failure is thrown as a classified `ModelCallError` (retryable or not); each caller turns it into
 * its own activity failure.
 */
export async function callModel(call: ModelCall): Promise<{ text: string; usage: Usage }> {
  const choice = { model: call.model };
  try {
    const { model, modelId } = languageModel(choice);
    const result = await generateText({
      model,
      ...(call.messages ? { messages: call.messages } : { prompt: call.prompt ?? '' }),
      system: call.system,
      maxOutputTokens: call.maxOutputTokens,
      maxRetries: 0,
      abortSignal: call.abortSignal,
    });
    return {
      text: result.text,
      usage: addUsage(noUsage(), modelId, result.usage.inputTokens, result.usage.outputTokens),
    };
  } catch (err) {
    throw classifyModelError(err, choice);
  }
}
