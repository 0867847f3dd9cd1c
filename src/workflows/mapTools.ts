import { ActivityCancellationType, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities, OpenedItems } from '../activities';
import { failureOf } from '../core/failures';
import type { ItemSource, MapSpec, Usage } from '../core/plan/plan';
import type { TemplateContext } from '../core/plan/template';
import { saysStop, stopQuestion, type ModelCheck } from '../core/schedule/stopQuestion';
import { llmWithTools } from './llmTools';

/*
 * A map's model parts with tools: its `llm` item source and its `until: {llm}` check, each the
 * loop of an llm step with tools (llmTools.ts) in the map's workflow.
 */

/** A map's `until: {llm}` check with tools, as the plan gives it. */
type UntilLlm = Extract<NonNullable<MapSpec['until']>, { llm: unknown }>['llm'];
/** A map's `llm` item source, as the plan gives it. */
type ItemsLlm = Extract<ItemSource, { llm: unknown }>['llm'];

/** Most JSON of a model's list of items: it is recorded in the map's history, under the 512 KB payload warning. */
const ITEMS_JSON_LIMIT = 256 * 1024;

/** The turns and tool calls: a model and the web may be slow, a dead worker is noticed in 30 s. */
const CHECK_OPTIONS = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

/**
 * `until: {llm: {prompt, tools}}`: the map's model check as an llm step with tools, the loop in the
 * map's workflow (llmTools.ts), each turn and tool call an activity named `until: …`. The question
 * and the reading of the answer are askModelToStop's: only a plain "yes" stops the map.
 */
export async function askModelWithTools(
  llm: UntilLlm,
  check: ModelCheck,
  task: string,
): Promise<{ stop: boolean; answer: string; usage: Usage }> {
  const step = {
    type: 'llm' as const,
    prompt: stopQuestion(check),
    model: llm.model,
    tools: llm.tools,
    maxSteps: llm.maxSteps,
  };
  const result = await llmWithTools({
    step,
    options: CHECK_OPTIONS,
    stepOpts: { task, release: 'tail' },
    label: 'until',
  });
  const answer = result.output.trim().slice(0, 200);
  return { stop: saysStop(answer), answer, usage: result.usage };
}

/** Whether a map's items come from a model with tools. */
export function itemsNeedTools(source: ItemSource): source is { llm: ItemsLlm } {
  return typeof source === 'object' && !Array.isArray(source) && 'llm' in source && source.llm.tools !== undefined;
}

/**
 * `items: {llm: {prompt, tools}}`: the model may fetch and run tools before it answers with the
 * items, a JSON array (an answer that is not JSON goes back to it, as an llm step's). The list then
 * opens like a plan's own list; its cost counts as the source's.
 */
export async function openItemsWithTools(
  llm: ItemsLlm,
  mapId: string,
  context: TemplateContext | undefined,
  task: string,
): Promise<OpenedItems> {
  const prompt = `${llm.prompt}\n\nAnswer with a JSON array only: each element is one item, a string or an object.`;
  const step = {
    type: 'llm' as const,
    prompt,
    system: llm.system,
    model: llm.model,
    tools: llm.tools,
    maxSteps: llm.maxSteps,
  };
  const stepOpts = { task, release: 'full' as const, template: context, jsonLimit: ITEMS_JSON_LIMIT };
  const result = await llmWithTools({ step, options: CHECK_OPTIONS, stepOpts, label: 'items' });
  if (!Array.isArray(result.json))
    throw ApplicationFailure.create(
      failureOf('ItemSourceError', `the model's items are JSON but not an array: ${result.output.slice(0, 200)}`),
    );
  const opened = await proxyActivities<BuiltinActivities>(CHECK_OPTIONS).openItems({ mapId, source: result.json });
  return { ...opened, usage: result.usage };
}
