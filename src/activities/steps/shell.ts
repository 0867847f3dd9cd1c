import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { Context } from '@temporalio/activity';
import { OutputLog, type LiveOutput, type ShellStep } from '../../core';
import { keepOrphan } from './adoption';
import { keepHeartbeating, stepCancelled, stepFailure, stepResult, type StepResult } from './stepResult';
import { containedArgv, exitReason } from './containment';
import { registerProgram } from '../localCancel';
import { watchGroup } from '../reaper';
import { mask, stepEnvironment } from './secrets';
import { jsonOf, prepare, workdir, inWorkdir, type StepOptions } from './stepOptions';
import { OUTPUT_CAP_BYTES, Tail } from './tail';

const KILL_GRACE_MS = 2_000;
const PROGRAM_HEARTBEAT_MS = 100;
/** A program stopped by a local cancel waits this long at most for the cancel itself. */
const LOCAL_CANCEL_WAIT_MS = 60_000;

/**
 * Runs a program from an argv array in its own PID namespace where the kernel allows it, else in
 * its own process group (see containment.ts). No shell is involved, so values in the plan are
 * never interpreted. The program sees a minimal environment (see secrets.ts). On cancel or timeout
 * the whole group is killed: SIGTERM, then SIGKILL after a grace period; when the step ends,
 * whatever it left running is killed too; if the worker dies, the namespace dies with it and the
 * reaper kills the group.
 */
export async function runShell(plainStep: ShellStep, options?: StepOptions): Promise<StepResult> {
  const step = prepare(plainStep, options);
  return inWorkdir(options, () => runIn(step, options));
}

async function runIn(step: ShellStep, options: StepOptions | undefined): Promise<StepResult> {
  // A JSON output is read whole (up to its cap), not as a tail.
  const out = new Tail(
    options?.jsonLimit === undefined ? undefined : Math.max(options.jsonLimit + 1, OUTPUT_CAP_BYTES),
  );
  const err = new Tail();
  const exit = await superviseProgram(step.command, {
    cwd: workdir(step.cwd, options),
    env: stepEnvironment(step),
    timeout: step.timeout,
    task: options?.task,
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
  });
  const output = out.toString() + (err.toString() ? `\n[stderr]\n${err.toString()}` : '');
  const release = options?.release;
  if (exit.stopped === 'cancelled') throw stepCancelled('shell step cancelled; process group killed', output, release);
  if (exit.stopped === 'timeout')
    throw stepFailure(`timed out after ${step.timeout}ms`, 'ShellTimeout', output, { release });
  if (exit.code !== 0) {
    const last = err.lastLine() || out.lastLine();
    throw stepFailure(last ? `${exit.why}: ${last}` : exit.why, 'ShellExitError', output, { release });
  }
  return stepResult(output, jsonOf(out.toString(), options, output), release);
}

/** How a supervised program ended. */
export interface ProgramExit {
  code: number | null;
  /** "exit code 3" or "killed by SIGKILL". */
  why: string;
  stopped?: 'cancelled' | 'timeout';
}

/**
 * Runs argv to its end inside an activity: heartbeats meanwhile, with the recent output of `task`
 * as details (what `ptq logs` shows of a running step); on cancel or timeout kills the group,
 * SIGTERM then SIGKILL after a grace; then kills what it left behind. stdout goes to `onStdout` or
 * to the file descriptor `stdoutFd`.
 */
export async function superviseProgram(
  argv: string[],
  options: {
    cwd?: string;
    env: Record<string, string>;
    timeout?: number;
    task?: string;
    stdoutFd?: number;
    onStdout?: (chunk: string) => void;
    onStderr: (chunk: string) => void;
  },
): Promise<ProgramExit> {
  const ctx = Context.current();
  const { child, release } = spawnWatched(argv, { cwd: options.cwd, env: options.env, stdout: options.stdoutFd });
  const log = new OutputLog();
  const { onStdout, onStderr } = options;
  if (onStdout) child.stdout?.setEncoding('utf8').on('data', (c: string) => (log.push(mask(c)), onStdout(c)));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (log.push(mask(c)), onStderr(c)));
  let stopped: ProgramExit['stopped'];
  const stop = (reason: 'cancelled' | 'timeout') => {
    stopped ??= reason;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const onCancel = () => stop('cancelled');
  // An attempt that only timed out on the server keeps its program for a retry to adopt (adoption.ts).
  const onAbort = () => keepOrphan(ctx, onCancel) || onCancel();
  ctx.cancellationSignal.addEventListener('abort', onAbort);
  const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
  const unregister = registerProgram({ workflowId, task: options.task, stop: onCancel });
  const timer = options.timeout ? setTimeout(() => stop('timeout'), options.timeout) : undefined;
  const { task } = options;
  // At least as often as the worker lets a heartbeat through (HEARTBEAT_THROTTLE): a cancel lands in its answer.
  const stopHeartbeats = keepHeartbeating(() => task && masked(log.snapshot(task)), PROGRAM_HEARTBEAT_MS);
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).catch((e: NodeJS.ErrnoException) => {
      throw stepFailure(`cannot start "${argv[0]}": ${e.message}`, 'CommandNotFound', '');
    });
    const why = exitReason(exit.code, exit.signal);
    // Stopped by the worker-local cancel (localCancel.ts): end only once Temporal has the cancel.
    if (stopped === 'cancelled') await cancelArrived(ctx);
    return { code: exit.code, why, stopped };
  } finally {
    unregister();
    release();
    stopHeartbeats();
    if (timer) clearTimeout(timer);
    ctx.cancellationSignal.removeEventListener('abort', onAbort);
  }
}

/**
 * Resolves once the activity's cancel has come in its heartbeat answer (the heartbeats go on), or
 * after LOCAL_CANCEL_WAIT_MS: then the activity ends cancelled anyway, which Temporal may retry.
 */
function cancelArrived(ctx: Context): Promise<void> {
  if (ctx.cancellationSignal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LOCAL_CANCEL_WAIT_MS);
    ctx.cancellationSignal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Starts argv contained (containment.ts) in its own process group, watched by the reaper; stdout goes
 * to a pipe or a file descriptor. `release` kills whatever is left of the group and unwatches it.
 * Throws a non-retryable step failure when the program or cwd does not exist.
 */
function spawnWatched(
  argv: string[],
  options: { cwd?: string; env: Record<string, string>; stdout?: number },
): { child: ChildProcess; release: () => void } {
  const missing = missingProgram(argv[0], options.env.PATH, options.cwd);
  if (missing) throw stepFailure(missing, 'CommandNotFound', '');
  const [starter, ...rest] = containedArgv(argv);
  const child = spawn(starter, rest, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['pipe', options.stdout ?? 'pipe', 'pipe'],
  });
  const unwatch = child.pid === undefined ? () => undefined : watchGroup(child.pid);
  child.stdin?.on('error', () => undefined);
  child.stdin?.end('go\n');
  const release = () => {
    killGroup(child.pid, 'SIGKILL'); // background processes the step left behind
    unwatch();
  };
  return { child, release };
}

/** Kills a process group; an already-gone group is fine. */
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

/** A chunk split across reads can hide a secret from the per-chunk mask: the tail is masked again. */
function masked(live: LiveOutput): LiveOutput {
  return { ...live, tail: mask(live.tail) };
}
