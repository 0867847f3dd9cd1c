import type { AgentStep, Usage } from '../../core';
import { readAgentOutput, type AgentOutputFormat } from '../../core/report/agentOutput';
import { agentName } from '../../core/plan/steps';
import { addUsage, noUsage } from '../../llm/prices';
import { stepCancelled, stepFailure, stepResult } from './stepResult';
import type { LlmResult } from './llm';
import { stepEnvironment } from './secrets';
import { superviseProgram } from './shell';
import { prepare, workdir, inWorkdir, type StepOptions } from './stepOptions';
import { Tail } from './tail';

/** Codex reports tokens but no price; without `model` it runs this one. */
const CODEX_DEFAULT_MODEL = 'gpt-5-codex';
/** A claude result JSON holds the whole final answer: keep more than a shell step's tail. */
const AGENT_STDOUT_BYTES = 1024 * 1024;

/**
 * Runs a coding agent CLI headless, as a supervised process group like a shell step (so cancel and
 * a dead worker kill it), in the task's worktree. Its final report gives the step's output (the
 * agent's answer) and its tokens and cost, which count toward the run's cost and `budgetUsd`.
 */
export async function runAgent(plainStep: AgentStep, options?: StepOptions): Promise<LlmResult> {
  const step = prepare(plainStep, options);
  return inWorkdir(options, () => runIn(step, options));
}

async function runIn(step: AgentStep, options: StepOptions | undefined): Promise<LlmResult> {
  const cwd = workdir(step.cwd, options);
  const { argv, format } = agentCommand(step);
  const out = new Tail(AGENT_STDOUT_BYTES);
  const err = new Tail();
  const exit = await superviseProgram(argv, {
    cwd,
    env: stepEnvironment(step),
    timeout: step.timeout,
    task: options?.task,
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
  });
  const name = agentName(step);
  const stdout = out.toString();
  const transcript = stdout + (err.toString() ? `\n[stderr]\n${err.toString()}` : '');
  const release = options?.release;
  if (exit.stopped === 'cancelled') throw stepCancelled(`${name} cancelled; process group killed`, transcript, release);
  if (exit.stopped === 'timeout')
    throw stepFailure(`${name} timed out after ${step.timeout}ms`, 'AgentTimeout', transcript, { release });
  const report = readAgentOutput(format, stdout);
  const usage = report && usageOf(step, format, report);
  if (report?.error) throw stepFailure(`${name} failed: ${report.error}`, 'AgentError', transcript, { release, usage });
  if (exit.code !== 0) {
    const last = err.lastLine() || out.lastLine();
    throw stepFailure(`${name}: ${exit.why}${last ? `: ${last}` : ''}`, 'AgentExitError', transcript, {
      release,
      usage,
    });
  }
  if (!report || !usage)
    throw stepFailure(
      `${name} printed no ${format} report: is it the right output format?`,
      'AgentOutputError',
      transcript,
      { release },
    );
  return { ...stepResult(report.text, undefined, release), usage };
}

/** The command line of each agent; the prompt is always the last argument. */
export function agentCommand(step: AgentStep): { argv: string[]; format: AgentOutputFormat } {
  // A prompt that starts with "-" would be read as an option.
  const prompt = step.prompt.startsWith('-') ? ` ${step.prompt}` : step.prompt;
  const extra = step.args ?? [];
  if (step.agent === 'claude') {
    const argv = ['claude', '-p', '--output-format', 'json', '--permission-mode', step.permissionMode ?? 'acceptEdits'];
    if (step.maxTurns !== undefined) argv.push('--max-turns', String(step.maxTurns));
    if (step.maxBudgetUsd !== undefined) argv.push('--max-budget-usd', String(step.maxBudgetUsd));
    if (step.model) argv.push('--model', step.model);
    return { argv: [...argv, ...extra, prompt], format: 'claude-json' };
  }
  if (step.agent === 'codex') {
    const argv = ['codex', 'exec', '--json', '--sandbox', 'workspace-write'];
    if (step.model) argv.push('--model', step.model);
    return { argv: [...argv, ...extra, prompt], format: 'codex-jsonl' };
  }
  return { argv: [...step.agent.command, ...extra, prompt], format: step.agent.output };
}

/** Tokens and USD: what the agent says it cost, else priced from the model table (null if unknown). */
function usageOf(
  step: AgentStep,
  format: AgentOutputFormat,
  report: NonNullable<ReturnType<typeof readAgentOutput>>,
): Usage {
  const calls = Math.max(1, report.turns ?? 1);
  if (report.costUsd !== undefined)
    return { calls, inputTokens: report.inputTokens, outputTokens: report.outputTokens, costUsd: report.costUsd };
  if (format === 'codex-jsonl') {
    const priced = addUsage(noUsage(), step.model ?? CODEX_DEFAULT_MODEL, report.inputTokens, report.outputTokens);
    return { ...priced, calls };
  }
  return { calls, inputTokens: report.inputTokens, outputTokens: report.outputTokens, costUsd: null };
}
