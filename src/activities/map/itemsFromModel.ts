import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import type { ModelMessage } from 'ai';
import type { Usage } from '../../core';
import { stripFences } from '../../core/report/jsonOutput';
import { resolveString, type TemplateContext } from '../../core/plan/template';
import { sumUsage } from '../../core/report/usage';
import { ModelCallError } from '../../llm/providers';
import { callModel } from '../../llm/call';

/** An `llm` item source as the plan gives it. */
export interface ModelItemsSpec {
  prompt: string;
  system?: string;
  model?: string;
  maxRepairs: number;
}

const DEFAULT_SYSTEM =
  'Answer with a JSON array only, no prose and no code fences. Each element is one item: a string or an object.';

/**
 * Asks the worker's model for a map's items: "extract every source URL in this document". The
 * answer must be a JSON array; one that is not goes back to the model with the problem, up to
 * `maxRepairs` times, as the planner does. Every call's tokens are counted and priced.
 */
export async function itemsFromModel(
  spec: ModelItemsSpec,
  context: TemplateContext | undefined,
): Promise<{ items: unknown[]; usage: Usage }> {
  const prompt = context ? resolveString(spec.prompt, context) : spec.prompt;
  const messages: ModelMessage[] = [{ role: 'user', content: prompt }];
  let usage: Usage | undefined;
  let problem = '';
  for (let attempt = 0; attempt <= spec.maxRepairs; attempt++) {
    let text: string;
    try {
      const answer = await callModel({
        model: spec.model,
        system: spec.system ?? DEFAULT_SYSTEM,
        messages,
        abortSignal: Context.current().cancellationSignal,
      });
      usage = sumUsage(usage, answer.usage);
      text = answer.text;
    } catch (err) {
      if (!(err instanceof ModelCallError)) throw err;
      throw ApplicationFailure.create(failureOf('LlmError', `items: ${err.message}`, err.retryable));
    }
    const parsed = jsonArray(text);
    if (parsed.ok) return { items: parsed.items, usage: usage as Usage };
    problem = parsed.problem;
    messages.push(
      { role: 'assistant', content: text },
      { role: 'user', content: `${problem}. Answer again with the JSON array only.` },
    );
  }
  throw ApplicationFailure.create(
    failureOf(
      'ItemSourceError',
      `items: the model's answer was not a JSON array after ${spec.maxRepairs + 1} tries: ${problem}`,
    ),
  );
}

function jsonArray(text: string): { ok: true; items: unknown[] } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(stripFences(text));
  } catch (err) {
    return { ok: false, problem: `the answer is not JSON (${(err as Error).message.split('\n')[0]})` };
  }
  if (!Array.isArray(value)) return { ok: false, problem: `the answer is a JSON ${typeof value}, not an array` };
  return { ok: true, items: value };
}
