import { generateText, type ModelMessage, type ToolSet } from 'ai';
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
  /** Tools the model may call, without `execute`: the calls come back for the workflow to run. */
  tools?: ToolSet;
  abortSignal: AbortSignal;
}

/** A tool call the model asked for, as its provider sent it. */
export interface ModelToolCall {
  id: string;
  tool: string;
  input: unknown;
}

/**
 * Sends one request to the worker's configured model (PTQ_PLANNER, PTQ_MODEL, PTQ_BASE_URL, the key
 * from the environment) and prices what it used. Temporal owns retries, so the SDK makes none. A
 * failure is thrown as a classified `ModelCallError` (retryable or not); each caller turns it into
 * its own activity failure. With `tools`, one call is one model turn: the SDK runs no tool (they
 * have no `execute`) and makes no second request; the turn's tool calls are returned.
 */
export async function callModel(call: ModelCall): Promise<{ text: string; usage: Usage; toolCalls: ModelToolCall[] }> {
  const choice = { model: call.model };
  try {
    const { model, modelId } = languageModel(choice);
    const result = await generateText({
      model,
      ...(call.messages ? { messages: call.messages } : { prompt: call.prompt ?? '' }),
      system: call.system,
      maxOutputTokens: call.maxOutputTokens,
      tools: call.tools,
      maxRetries: 0,
      abortSignal: call.abortSignal,
    });
    return {
      text: result.text,
      usage: addUsage(noUsage(), modelId, result.usage.inputTokens, result.usage.outputTokens),
      toolCalls: result.toolCalls.map((c) => ({ id: c.toolCallId, tool: c.toolName, input: c.input })),
    };
  } catch (err) {
    throw classifyModelError(err, choice);
  }
}
