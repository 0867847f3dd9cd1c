import type { ToolInput, ToolName, ToolSetting } from '../../core/tools/registry';
import { browserTool } from './browser';
import { httpTool } from './http';
import { shellTool } from './shell';

/** What a tool call needs besides its input: the step's bounds and the task's place. */
export interface ToolRun {
  /** Most characters of a result's text the model gets (`toolResultChars`). */
  resultChars: number;
  /** The step's `timeout`, per call. */
  timeout?: number;
  /** The task, whose live output `ptq logs` shows. */
  task?: string;
  /** The task's worktree in a plan with a workspace: shell calls run there. */
  worktree?: string;
}

type Runner<N extends ToolName> = (input: ToolInput<N>, setting: ToolSetting<N>, run: ToolRun) => Promise<unknown>;

/**
 * The code that runs each tool, by the registry's names (core/tools/registry.ts): the step types'
 * own code, so a tool call is guarded, contained and cancelled like the step it stands for.
 */
export const TOOL_RUNNERS: { [N in ToolName]: Runner<N> } = {
  http: httpTool,
  browser: browserTool,
  shell: shellTool,
};

/** `text` within `max` characters, keeping its head or its tail, with a note of what was cut. */
export function cutText(text: string, max: number, keep: 'head' | 'tail'): string {
  if (text.length <= max) return text;
  const note = `[… ${text.length - max} of ${text.length} characters cut]`;
  return keep === 'head' ? `${text.slice(0, max)}\n${note}` : `${note}\n${text.slice(-max)}`;
}
