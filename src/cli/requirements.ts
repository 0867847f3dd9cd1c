import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { PROVIDERS, type PlanRequestInput, type Provider } from '../planner';
import { PtqError } from '../errors';
import { intOption } from './common';

/** Flags shared by `ptq plan` and `ptq start --requirements`. */
export interface RequirementsFlags {
  requirements?: string;
  requirementsFile?: string;
  budget?: number;
  provider?: Provider;
  model?: string;
  baseUrl?: string;
  maxTasks?: number;
  name?: string;
}

/** Adds the planner flags to a command. */
export function withPlannerFlags(cmd: Command): Command {
  return cmd
    .option('--requirements <text>', 'what you want done, in words')
    .option('--requirements-file <file>', 'read the requirements from a file')
    .option('--budget <m>', 'M: tasks running at once (the plan may have more tasks)', intOption('--budget', 1, 2000))
    .addOption(
      new Option('--provider <provider>', 'model provider (env PTQ_PLANNER; default offline)').choices(PROVIDERS),
    )
    .option('--model <model>', 'model id (env PTQ_MODEL)')
    .option('--base-url <url>', 'OpenAI-compatible endpoint, e.g. Ollama or vLLM (env PTQ_BASE_URL)')
    .option('--max-tasks <n>', 'most tasks the plan may have', intOption('--max-tasks', 1, 500))
    .option('--name <name>', 'plan name');
}

/** The planning request from the flags; API keys are never part of it. */
export function planRequest(flags: RequirementsFlags): PlanRequestInput {
  if (Boolean(flags.requirements) === Boolean(flags.requirementsFile)) {
    throw new PtqError('give exactly one of --requirements or --requirements-file');
  }
  let text = flags.requirements;
  if (flags.requirementsFile) {
    try {
      text = readFileSync(flags.requirementsFile, 'utf8');
    } catch {
      throw new PtqError(`cannot read ${flags.requirementsFile}`, undefined, 'check the path');
    }
  }
  return {
    requirements: text as string,
    budget: flags.budget,
    name: flags.name,
    provider: flags.provider,
    model: flags.model,
    baseUrl: flags.baseUrl,
    hints: flags.maxTasks ? { maxTasks: flags.maxTasks } : undefined,
  };
}
