import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ShellStep } from '../core';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './context';
import { watchGroup } from './reaper';
import { stepEnvironment } from './secrets';
import { jsonOf, prepare, type StepOptions } from './stepOptions';
import { OUTPUT_CAP_BYTES, Tail } from './tail';

const KILL_GRACE_MS = 2_000;

/**
 * The step's program is started through this trampoline: it waits for "go" on stdin, which the
 * worker sends only once the reaper knows the process group, then execs the program (same pid,
 * stdin from /dev/null). A worker killed in between closes the pipe, `read` fails and nothing runs,
 * so no step can outlive its worker unwatched. The program and its arguments are "$@": passed as
 * argv, never parsed by the shell.
 */
const TRAMPOLINE = 'IFS= read -r go && [ "$go" = go ] && exec "$@" </dev/null';

/**
 * Runs a program from an argv array in its own process group. No shell is involved, so values in
 * the plan are never interpreted. The program sees a minimal environment (see secrets.ts). On
 * cancel or timeout the whole group is killed: SIGTERM, then SIGKILL after a grace period; when
 * the step ends, whatever it left running in its group is killed too; if the worker dies, the
 * reaper kills the group.
 */
export async function runShell(plainStep: ShellStep, options?: StepOptions): Promise<StepResult> {
  const ctx = Context.current();
  const step = prepare(plainStep, options);
  const [program, ...args] = step.command;
  // A JSON output is read whole (up to its cap), not as a tail.
  const out = new Tail(
    options?.jsonLimit === undefined ? undefined : Math.max(options.jsonLimit + 1, OUTPUT_CAP_BYTES),
  );
  const err = new Tail();
  const env = stepEnvironment(step);
  const missing = missingProgram(program, env.PATH, step.cwd);
  if (missing) throw stepFailure(missing, 'CommandNotFound', '', true);
  const child = spawn('/bin/sh', ['-c', TRAMPOLINE, 'ptq-step', program, ...args], {
    cwd: step.cwd,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const unwatch = child.pid === undefined ? () => undefined : watchGroup(child.pid);
  child.stdin.on('error', () => undefined);
  child.stdin.end('go\n');
  child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));

  let stopReason: 'cancelled' | 'timeout' | undefined;
  const stop = (reason: 'cancelled' | 'timeout') => {
    stopReason ??= reason;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const onCancel = () => stop('cancelled');
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  const timer = step.timeout ? setTimeout(() => stop('timeout'), step.timeout) : undefined;
  const stopHeartbeats = keepHeartbeating();

  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).catch((e: NodeJS.ErrnoException) => {
      throw stepFailure(`cannot start "${program}": ${e.message}`, 'CommandNotFound', '', true);
    });
    const output = out.toString() + (err.toString() ? `\n[stderr]\n${err.toString()}` : '');
    if (stopReason === 'cancelled') throw new CancelledFailure('shell step cancelled; process group killed');
    if (stopReason === 'timeout') throw stepFailure(`timed out after ${step.timeout}ms`, 'ShellTimeout', output);
    if (exit.code !== 0) {
      const why = exit.code === null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
      const last = err.lastLine() || out.lastLine();
      throw stepFailure(last ? `${why}: ${last}` : why, 'ShellExitError', output);
    }
    return stepResult(output, jsonOf(out.toString(), options, output));
  } finally {
    killGroup(child.pid, 'SIGKILL'); // background processes the step left behind
    unwatch();
    stopHeartbeats();
    if (timer) clearTimeout(timer);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone: nothing to kill.
  }
}

/** Why `program` cannot be run (not found, not executable, no such cwd), or undefined. */
function missingProgram(program: string, path = '', cwd?: string): string | undefined {
  if (cwd !== undefined && !existsSync(cwd)) return `working directory "${cwd}" does not exist`;
  const candidates = program.includes('/')
    ? [resolve(cwd ?? '.', program)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(resolve(cwd ?? '.', dir), program));
  const runnable = candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
  return runnable ? undefined : `program "${program}" not found (is it installed and on PATH?)`;
}
