import { isAbsolute, join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Step } from '../../core';
import { parseJsonOutput } from '../../core/report/jsonOutput';
import { resolveStep } from '../../core/plan/stepTemplates';
import { outputsContext, TemplateError, type TemplateContext } from '../../core/plan/template';
import { stepFailure, type OutputRelease } from './stepResult';
import { enterWorktree } from '../workspace/git';
import { enterRemote, leaveRemote } from '../workspace/gitRemote';

/** What the workflow tells a step activity besides the step: its template values and JSON cap. */
export interface StepOptions {
  /** Values for `{{ }}` templates; the attempt is added here, where it is known. */
  template?: TemplateContext;
  /** Parse the output as JSON (the task's last step, `"output": "json"`), at most this many bytes. */
  jsonLimit?: number;
  /** The task the step belongs to: its heartbeats name it, so `ptq logs` finds an inline task's output. */
  task?: string;
  /** How much of the output leaves the activity; steps scheduled before it existed have none (see stepResult.ts). */
  release?: OutputRelease;
}

/**
 * The step with its templates resolved. Runs in the activity, not the workflow, because only here
 * is `{{task.attempt}}` known. A template that cannot resolve fails the step for good: retrying
 * will not make a missing value appear.
 */
export function prepare<S extends Step>(step: S, options: StepOptions | undefined): S {
  if (!options?.template) return step;
  const template = { ...options.template, task: { ...options.template.task, attempt: Context.current().info.attempt } };
  try {
    return resolveStep(step, template);
  } catch (err) {
    if (err instanceof TemplateError) throw stepFailure(err.message, 'TemplateError', '');
    throw err;
  }
}

/** The parsed JSON of a step's output when asked for, or undefined; a bad output fails the step for good. */
export function jsonOf(text: string, options: StepOptions | undefined, output: string): unknown {
  if (options?.jsonLimit === undefined) return undefined;
  const parsed = parseJsonOutput(text, options.jsonLimit);
  if (!parsed.ok) throw stepFailure(parsed.error, 'OutputNotJson', output, { release: options.release });
  return parsed.value;
}

/** Old workers passed llm steps a map of dependency outputs; read it as template values. */
export function asStepOptions(arg: unknown): StepOptions | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  if ('template' in arg || 'jsonLimit' in arg || 'task' in arg || 'release' in arg) return arg as StepOptions;
  return { template: outputsContext(arg as Record<string, string>) };
}

/**
 * Where a shell or agent step runs: in a plan with a workspace, the task's worktree (a relative
 * `cwd` is inside it); otherwise `cwd` as given, or the worker's directory.
 */
export function workdir(cwd: string | undefined, options: StepOptions | undefined): string | undefined {
  const worktree = options?.template?.task.worktree;
  if (!worktree) return cwd;
  return cwd === undefined ? worktree : isAbsolute(cwd) ? cwd : join(worktree, cwd);
}

/**
 * Runs a shell or agent step in its worktree. With a local repo, a retry starts where the first
 * attempt started; with a remote one, the worktree is checked out for the step from the task's
 * branch and, when the step succeeds, its work is committed and pushed back.
 */
export async function inWorkdir<T>(options: StepOptions | undefined, run: () => Promise<T>): Promise<T> {
  const { id, worktree, branch, remote } = options?.template?.task ?? {};
  if (!worktree || !branch) return run();
  const { activityId, attempt } = Context.current().info;
  if (!remote) {
    await enterWorktree(worktree, activityId, attempt);
    return run();
  }
  const place = { worktree, branch, remote };
  await enterRemote(place);
  let succeeded = false;
  try {
    const result = await run();
    succeeded = true;
    return result;
  } finally {
    await leaveRemote(place, succeeded, `ptq task ${id}: step ${activityId}`);
  }
}
