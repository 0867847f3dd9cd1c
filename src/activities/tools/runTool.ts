import { Context } from '@temporalio/activity';
import { checkCall, toolUses, type ToolName, type ToolSpec } from '../../core/tools/registry';
import { maskValue } from '../steps/secrets';
import { stepFailure, workerIdentity } from '../steps/stepResult';
import { TOOL_RUNNERS, type ToolRun } from './runners';

/** One tool call of an llm step, as the workflow schedules it: the history shows it whole. */
export interface ToolCallInput {
  /** The tool and its input, as the model sent them. */
  tool: string;
  input: unknown;
  /** The step's `tools`, which say what the call may do. */
  tools: ToolSpec[];
  run: ToolRun;
}

/** What a tool call gave back, masked and cut, for the model's next turn. */
export interface ToolCallResult {
  output: unknown;
  attempt: number;
  worker: string;
}

/**
 * Runs one tool call of an llm step: its own activity, so the history keeps its input and result
 * and a worker killed after it does not run it again. The call is checked against the step's tools
 * again here (the model's turn checked it already); one that does not fit is refused for good,
 * and the model reads why.
 */
export async function runTool(call: ToolCallInput): Promise<ToolCallResult> {
  const uses = toolUses(call.tools);
  const checked = checkCall(uses, call.tool, call.input);
  if (!checked.ok) throw stepFailure(checked.problem, 'ToolCallRefused', '');
  const name = call.tool as ToolName;
  const setting = uses.find((u) => u.name === name)?.setting;
  const runner = TOOL_RUNNERS[name] as (input: unknown, setting: unknown, run: ToolRun) => Promise<unknown>;
  const output = await runner(checked.input, setting, call.run);
  return { output: maskValue(output), attempt: Context.current().info.attempt, worker: workerIdentity };
}
