import { formatDuration } from './duration';
import { DEFAULT_ESTIMATE_MS } from '../schedule/graph';
import type { AgentStep, Execution, Step, Task } from './plan';

/** The steps of a task as an array, whatever form the plan used. */
export function stepsOf(task: Task): Step[] {
  return Array.isArray(task.run) ? task.run : [task.run];
}

/** Tasks estimated under this run inline under `auto`: their history is short enough to share. */
export const AUTO_INLINE_BELOW_MS = 10_000;

/**
 * Where a task runs under `execution` (its own, else the plan's default). `auto` runs short tasks
 * inline, where a task costs a seventh of the server work and hands on to the next in a quarter of
 * the time; long tasks, and llm and agent steps (long, large transcripts, their own cost and
 * retries worth a page of their own in the Web UI), get a child workflow.
 */
export function executionOf(task: Task, execution: Execution): 'child' | 'inline' {
  if (execution !== 'auto') return execution;
  const ownHistory = stepsOf(task).some((s) => s.type === 'llm' || s.type === 'agent');
  return ownHistory || (task.estimate ?? DEFAULT_ESTIMATE_MS) >= AUTO_INLINE_BELOW_MS ? 'child' : 'inline';
}

/** A one-line description of a step for the Web UI and errors, e.g. `npm run migrate`. */
export function describeStep(step: Step): string {
  if (step.description) return step.description;
  switch (step.type) {
    case 'shell':
      return shorten(step.command.join(' '));
    case 'http':
      return shorten(`${step.method} ${step.url}`);
    case 'browser':
      return shorten(`browser ${step.url}`);
    case 'sleep':
      return `sleep ${formatDuration(step.duration)}`;
    case 'activity':
      return `activity ${step.name}`;
    case 'llm':
      return shorten(`llm: ${step.prompt.split('\n')[0]}`);
    case 'agent':
      return shorten(`${agentName(step)}: ${step.prompt.split('\n')[0]}`);
  }
}

/** "claude", "codex", or the program of a custom agent. */
export function agentName(step: AgentStep): string {
  return typeof step.agent === 'string' ? step.agent : (step.agent.command[0].split('/').pop() ?? 'agent');
}

function shorten(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
