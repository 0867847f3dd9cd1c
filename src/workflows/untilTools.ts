import { ActivityCancellationType } from '@temporalio/workflow';
import type { MapSpec, Usage } from '../core/plan/plan';
import { saysStop, stopQuestion, type ModelCheck } from '../core/schedule/stopQuestion';
import { llmWithTools } from './llmTools';

/** A map's `until: {llm}` check with tools, as the plan gives it. */
type UntilLlm = Extract<NonNullable<MapSpec['until']>, { llm: unknown }>['llm'];

/** The check's turns and tool calls: a model and the web may be slow, a dead worker is noticed in 30 s. */
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
