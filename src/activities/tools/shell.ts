import { CancelledFailure } from '@temporalio/common';
import type { ToolInput, ToolSetting } from '../../core/tools/registry';
import { mask, stepEnvironment } from '../steps/secrets';
import { superviseProgram } from '../steps/shell';
import { Tail } from '../steps/tail';
import { cutText, type ToolRun } from './runners';

/**
 * The `shell` tool: an allowed program run like a shell step (argv, contained, the minimal
 * environment without secrets, killed on cancel or timeout), as `{exitCode, output}`. A non-zero
 * exit is an answer for the model, not a failure to retry.
 */
export async function shellTool(
  input: ToolInput<'shell'>,
  _setting: ToolSetting<'shell'>,
  run: ToolRun,
): Promise<unknown> {
  const out = new Tail();
  const err = new Tail();
  const exit = await superviseProgram(input.argv, {
    cwd: run.worktree,
    env: stepEnvironment({}),
    timeout: run.timeout,
    task: run.task,
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
  });
  if (exit.stopped === 'cancelled') throw new CancelledFailure('shell tool cancelled; process group killed');
  const output = out.toString() + (err.toString() ? `\n[stderr]\n${err.toString()}` : '');
  return {
    exitCode: exit.code,
    ...(exit.stopped === 'timeout' ? { timedOut: true } : {}),
    output: cutText(mask(output), run.resultChars, 'tail'),
  };
}
