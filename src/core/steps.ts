import { formatDuration } from './duration';
import type { AgentStep, Step, Task } from './plan';

/** The steps of a task as an array, whatever form the plan used. */
export function stepsOf(task: Task): Step[] {
  return Array.isArray(task.run) ? task.run : [task.run];
}

/** A one-line description of a step for the Web UI and errors, e.g. `npm run migrate`. */
export function describeStep(step: Step): string {
  if (step.description) return step.description;
  switch (step.type) {
    case 'shell':
      return shorten(step.command.join(' '));
    case 'http':
      return shorten(`${step.method} ${step.url}`);
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
