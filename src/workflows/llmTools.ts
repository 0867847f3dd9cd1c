import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { BuiltinActivities, StepResult, TurnResult } from '../activities';
import type { StepOptions } from '../activities/steps/stepOptions';
import type { ToolRun } from '../activities/tools/runners';
import { failureOf } from '../core/failures';
import { DEFAULT_LLM_STEPS, DEFAULT_TOOL_RESULT_CHARS } from '../core/plan/limits';
import type { LlmStep, Usage } from '../core/plan/plan';
import { describeStep } from '../core/plan/steps';
import { sumUsage } from '../core/report/usage';
import { describeTurn, fitTranscript, MAX_CALLS_PER_TURN, type ToolOutcome, type Turn } from '../core/tools/transcript';
import { ERROR_CHARS, RESULT_OUTPUT_CHARS, taskFailure } from './taskFailure';

/** Answers that are not JSON go back to the model this many times, as the planner's do. */
const JSON_REPAIRS = 2;

/** Why a loop stops without an answer. */
type LoopStop = 'LlmStepLimit' | 'OutputNotJson';

/** An llm step with tools, as its task runs it. */
export interface ToolLoop {
  step: LlmStep;
  options: ActivityOptions;
  stepOpts: StepOptions;
  /** What the task's earlier steps cost: a failure reports it with the loop's own. */
  spent?: Usage;
  /** An inline task's title, before each activity's summary. */
  label?: string;
}

/**
 * The agent loop of an llm step with tools, in the workflow as in Temporal's AI-agent samples: one
 * activity per model turn (`llmTurn`, given the transcript so far) and one per tool call
 * (`runTool`, named `tool http GET https://…` in the Web UI). The history holds every turn and
 * call, so a worker killed mid-loop resumes at the next turn and no finished call runs again.
 * A tool call that fails for good is an answer for the model, not the end of the task; the task
 * fails when the turns (`maxSteps`) or the budget (`budgetUsd`) are used up without an answer.
 */
export async function llmWithTools(loop: ToolLoop): Promise<StepResult & { usage: Usage }> {
  const { step, options, stepOpts } = loop;
  const maxSteps = step.maxSteps ?? DEFAULT_LLM_STEPS;
  const described = describeStep(step);
  const turns: Turn[] = [];
  let usage: Usage | undefined;
  let repairs = 0;
  const stop = (type: LoopStop, message: string) =>
    loopFailure(type, message, described, turns, sumUsage(loop.spent, usage));
  for (let n = 1; ; n++) {
    const summary = `${loop.label ? `${loop.label}: ` : ''}${described} (turn ${n}/${maxSteps})`;
    const { llmTurn } = proxyActivities<BuiltinActivities>({ ...options, summary });
    let r: TurnResult;
    try {
      r = await llmTurn({ step, turns: fitTranscript(turns), options: stepOpts });
    } catch (err) {
      throw taskFailure(err, { ...options, summary: described }, sumUsage(loop.spent, usage));
    }
    const spent = (usage = sumUsage(usage, r.usage) ?? r.usage);
    turns.push(r.turn);
    if (r.final) return { ...r.final, usage: spent };
    if (r.notJson !== undefined && repairs === JSON_REPAIRS)
      throw stop('OutputNotJson', `${r.notJson}, after ${repairs} repairs`);
    if (n === maxSteps)
      throw stop(
        'LlmStepLimit',
        `no final answer after ${maxSteps} turns (maxSteps); last turn: ${describeTurn(r.turn)}`,
      );
    const cost = spent.costUsd;
    if (step.budgetUsd !== undefined && cost !== null && cost >= step.budgetUsd)
      throw stop(
        'LlmStepLimit',
        `spent $${cost} of budgetUsd $${step.budgetUsd} in ${n} turns, no final answer; last turn: ${describeTurn(r.turn)}`,
      );
    if (r.notJson !== undefined) {
      repairs++;
      turns.push({ role: 'user', text: `Your answer is not valid JSON (${r.notJson}). Answer again with JSON only.` });
    } else {
      turns.push({ role: 'tool', results: await runCalls(loop, r) });
    }
  }
}

/** Runs a turn's tool calls at once, each its own activity; a failure becomes the model's answer. */
function runCalls(loop: ToolLoop, r: TurnResult): Promise<ToolOutcome[]> {
  const { step, options, stepOpts } = loop;
  const run: ToolRun = {
    resultChars: step.toolResultChars ?? DEFAULT_TOOL_RESULT_CHARS,
    timeout: step.timeout,
    task: stepOpts.task,
    worktree: stepOpts.template?.task.worktree,
  };
  return Promise.all(
    r.turn.calls.map((call, i): Promise<ToolOutcome> => {
      const { id, tool } = call;
      if (i >= MAX_CALLS_PER_TURN)
        return Promise.resolve({
          id,
          tool,
          output: `not run: at most ${MAX_CALLS_PER_TURN} tool calls a turn`,
          error: true,
        });
      const summary = `${loop.label ? `${loop.label}: ` : ''}${r.summaries[i]}`;
      const { runTool } = proxyActivities<BuiltinActivities>({ ...options, summary });
      return runTool({ tool, input: call.input, tools: step.tools ?? [], run }).then(
        (done) => ({ id, tool, output: done.output }),
        (err: unknown) => {
          if (isCancellation(err)) throw err;
          const message = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
          return { id, tool, output: message, error: true };
        },
      );
    }),
  );
}

/** The task's failure when the loop stops without an answer: why, with the last turns as its output. */
function loopFailure(type: LoopStop, message: string, described: string, turns: Turn[], usage?: Usage) {
  const cut = message.slice(0, ERROR_CHARS);
  return ApplicationFailure.create({
    ...failureOf('TaskFailed', `${cut} (in: ${described})`),
    details: [
      {
        attempts: 1,
        output: turns
          .slice(-3)
          .map((t) => `${t.role}: ${describeTurn(t, 2_000)}`)
          .join('\n')
          .slice(-RESULT_OUTPUT_CHARS),
        usage,
      },
    ],
    cause: ApplicationFailure.create(failureOf(type, cut)),
  });
}
