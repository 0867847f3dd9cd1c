import { envReadIn, scriptArg } from '../core/plan/scriptArgs';
import { ImportError, type ImportedTask } from './types';

/**
 * What each imported task runs: an agent step (`--agent claude`), or a step template
 * (`--step-template file.json`) whose strings may hold `{{import.title}}`, `{{import.description}}`,
 * `{{import.details}}`, `{{import.testStrategy}}`, `{{import.id}}`, `{{import.files}}` and
 * `{{import.prompt}}` (all of them as one prompt). Those are filled in now, at import time; other
 * templates (`{{tasks.ID.output}}`, `{{task.worktree}}`) are left for the run.
 */
export type StepChoice = { agent: 'claude' | 'codex' } | { template: unknown };

export function stepsFor(task: ImportedTask, choice: StepChoice): unknown {
  if ('agent' in choice) return { type: 'agent', agent: choice.agent, prompt: promptFor(task) };
  for (const step of [choice.template].flat()) refuseFieldInCode(step);
  return fill(choice.template, task);
}

/**
 * The task's text inside the code of `sh -c` would be parsed as code once filled in (a title with
 * a `;` runs a command), so such a step template is refused, as `validate` refuses a run-time
 * template there.
 */
function refuseFieldInCode(step: unknown): void {
  const { command, unsafeShellTemplates } = (step ?? {}) as { command?: unknown; unsafeShellTemplates?: unknown };
  if (!Array.isArray(command) || unsafeShellTemplates === true || !command.every((c) => typeof c === 'string')) return;
  const script = scriptArg(command);
  const field = script && new RegExp(FIELD.source).exec(command[script.index])?.[1];
  if (!script || !field) return;
  const name = field.toUpperCase();
  throw new ImportError(
    `the step template puts {{import.${field}}} inside the code of ${script.program} ${script.flag}, where the task's text would be parsed as code: ` +
      `pass it in env ("env": {"${name}": "{{import.${field}}}"}) and write ${envReadIn(script.interpreter, name)} in the code`,
  );
}

/** The prompt an agent gets: everything the list says about the task. */
export function promptFor(task: ImportedTask): string {
  const parts = [`Task ${task.id}: ${task.title}`];
  if (task.description) parts.push(task.description);
  if (task.details) parts.push(`Details:\n${task.details}`);
  if (task.testStrategy) parts.push(`Test strategy:\n${task.testStrategy}`);
  if (task.files) parts.push(`Files: ${task.files.join(', ')}`);
  return parts.join('\n\n');
}

const FIELD = /\{\{\s*import\.(\w+)\s*\}\}/g;

function fill(value: unknown, task: ImportedTask): unknown {
  if (typeof value === 'string') return value.replace(FIELD, (_all, field: string) => fieldOf(task, field));
  if (Array.isArray(value)) return value.map((v) => fill(v, task));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, task)]));
  return value;
}

function fieldOf(task: ImportedTask, field: string): string {
  switch (field) {
    case 'id':
    case 'title':
      return task[field];
    case 'description':
    case 'details':
    case 'testStrategy':
      return task[field] ?? '';
    case 'files':
      return (task.files ?? []).join(', ');
    case 'prompt':
      return promptFor(task);
    default:
      throw new ImportError(
        `the step template uses {{import.${field}}}: use import.id, title, description, details, testStrategy, files or prompt`,
      );
  }
}
