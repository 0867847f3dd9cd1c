import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { jsonSchema, tool, type JSONValue, type ModelMessage, type ToolSet } from 'ai';
import type { LlmStep, Usage } from '../../core';
import { parseJsonOutput } from '../../core/report/jsonOutput';
import { checkCall, toolForModel, toolUses, type ToolUse } from '../../core/tools/registry';
import type { Turn } from '../../core/tools/transcript';
import { callModel } from '../../llm/call';
import { ModelCallError } from '../../llm/providers';
import { mask, maskValue } from './secrets';
import { prepare, type StepOptions } from './stepOptions';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './stepResult';

/** One model turn of an llm step with tools: the step and the transcript after its prompt. */
export interface TurnInput {
  step: LlmStep;
  turns: Turn[];
  options?: StepOptions;
}

/** The model's next message, what it cost, and what the workflow does with it. */
export interface TurnResult {
  turn: Extract<Turn, { role: 'assistant' }>;
  /** Per tool call, the line that names its activity in the Web UI (`tool http GET https://…`). */
  summaries: string[];
  usage: Usage;
  /** No tool calls: the answer, as the step's result. */
  final?: StepResult;
  /** No tool calls, `"output": "json"`, and the answer is not JSON: why, for the model to repair. */
  notJson?: string;
}

/**
 * Asks the model for its next message, given the transcript so far: text, tool calls, or both.
 * It runs no tool (the workflow runs each call as its own activity) and makes one request, so a
 * worker lost mid-loop costs one turn at most. Secrets are masked in what goes to the model and in
 * what comes back. Heartbeats while waiting; a cancel aborts the request.
 */
export async function llmTurn(input: TurnInput): Promise<TurnResult> {
  const ctx = Context.current();
  const step = prepare(input.step, input.options);
  const uses = toolUses(step.tools);
  const signals = [ctx.cancellationSignal, ...(step.timeout ? [AbortSignal.timeout(step.timeout)] : [])];
  const stopHeartbeats = keepHeartbeating();
  try {
    const { text, usage, toolCalls } = await callModel({
      model: step.model,
      system: step.system === undefined ? undefined : mask(step.system),
      messages: [{ role: 'user', content: mask(step.prompt) }, ...input.turns.map(messageOf)],
      tools: toolSet(uses),
      maxOutputTokens: step.maxOutputTokens,
      abortSignal: AbortSignal.any(signals),
    });
    const calls = toolCalls.map((c) => ({ id: c.id, tool: c.tool, input: maskValue(c.input) }));
    const turn = { role: 'assistant' as const, text: mask(text), calls };
    const summaries = calls.map((c) => {
      const checked = checkCall(uses, c.tool, c.input);
      return checked.ok ? checked.summary : `tool ${c.tool} (refused)`.slice(0, 120);
    });
    if (calls.length > 0) return { turn, summaries, usage };
    const { jsonLimit, release } = input.options ?? {};
    if (jsonLimit === undefined) return { turn, summaries, usage, final: stepResult(text, undefined, release) };
    const parsed = parseJsonOutput(text, jsonLimit);
    if (!parsed.ok) return { turn, summaries, usage, notJson: parsed.error };
    return { turn, summaries, usage, final: stepResult(text, parsed.value, release) };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('llm step cancelled; request aborted');
    if (err instanceof ModelCallError) throw stepFailure(err.message, 'LlmError', '', { retryable: err.retryable });
    throw err;
  } finally {
    stopHeartbeats();
  }
}

/** The step's tools for the AI SDK, without `execute`: the SDK hands the calls back and runs none. */
function toolSet(uses: ToolUse[]): ToolSet {
  return Object.fromEntries(
    uses.map((use) => {
      const { description, parameters } = toolForModel(use);
      return [use.name, tool({ description, inputSchema: jsonSchema(parameters) })];
    }),
  );
}

/** A transcript turn as the AI SDK's message, which each provider writes in its own wire format. */
function messageOf(turn: Turn): ModelMessage {
  switch (turn.role) {
    case 'user':
      return { role: 'user', content: turn.text };
    case 'assistant':
      return {
        role: 'assistant',
        content: [
          ...(turn.text ? [{ type: 'text' as const, text: turn.text }] : []),
          ...turn.calls.map((c) => ({
            type: 'tool-call' as const,
            toolCallId: c.id,
            toolName: c.tool,
            input: c.input,
          })),
        ],
      };
    case 'tool':
      return {
        role: 'tool',
        content: turn.results.map((r) => ({
          type: 'tool-result' as const,
          toolCallId: r.id,
          toolName: r.tool,
          output: r.error
            ? { type: 'error-text' as const, value: String(r.output) }
            : { type: 'json' as const, value: (r.output ?? null) as JSONValue },
        })),
      };
  }
}
