import { generateText, jsonSchema, NoObjectGeneratedError, Output, type ModelMessage } from 'ai';
import type { Plan, Usage } from '../core';
import { planFromAnswer } from './answer';
import { addUsage, noUsage } from '../llm/prices';
import { repairPrompt, requirementsPrompt, systemPrompt } from './prompt';
import { classifyModelError, languageModel, ModelCallError, resolveChoice } from '../llm/providers';
import { answerJsonSchema, type PlanRequest } from './request';

/** Thrown when the model's answers still do not fit the plan schema after the repair rounds. */
export class PlannerOutputError extends ModelCallError {
  constructor(tries: number, problems: string[]) {
    super(`the model's plan did not fit the schema after ${tries} tries: ${problems.slice(0, 5).join('; ')}`, false);
  }
}

/**
 * Asks the model for a plan using structured output from the zod schema. If the answer does not
 * parse or fails validation (a cycle, an unknown dependency, a bad field), the problems go back to
 * the model, up to `maxRepairs` times. Every call's tokens are counted and priced.
 */
export async function planWithModel(request: PlanRequest, signal?: AbortSignal): Promise<Plan> {
  const choice = resolveChoice(request);
  const { model, modelId } = languageModel(choice);
  const messages: ModelMessage[] = [{ role: 'user', content: requirementsPrompt(request) }];
  let usage: Usage = noUsage();
  let problems: string[] = [];
  for (let attempt = 1; attempt <= request.maxRepairs + 1; attempt++) {
    let text: string | undefined;
    try {
      const result = await generateText({
        model,
        system: systemPrompt(request),
        messages,
        output: Output.object({ schema: jsonSchema(answerJsonSchema()) }),
        maxRetries: 0, // Temporal owns retries
        abortSignal: signal,
      });
      usage = addUsage(usage, modelId, result.usage.inputTokens, result.usage.outputTokens);
      text = result.text;
    } catch (err) {
      // An answer that is not JSON is something to repair, not a failed call.
      if (!NoObjectGeneratedError.isInstance(err)) throw classifyModelError(err, choice);
      usage = addUsage(usage, modelId, err.usage?.inputTokens, err.usage?.outputTokens);
      text = err.text ?? '';
    }
    const planned = planFromAnswer(text, request, { planner: choice.provider, model: modelId, usage });
    if (planned.ok) return planned.value;
    problems = planned.error;
    messages.push({ role: 'assistant', content: text }, { role: 'user', content: repairPrompt(problems) });
  }
  throw new PlannerOutputError(request.maxRepairs + 1, problems);
}
