import { spawnSync } from 'node:child_process';
import { accessSync, constants as fs } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { ExitCode, PtqError } from '../../errors';

/**
 * A process group holds a step's processes only until one of them leaves it: `setsid`, `nohup …
 * &`, a dev server or a build daemon escapes both a cancel and the reaper, and goes on running
 * next to the retry. A PID namespace cannot be left. Each step starts as
 * `setpriv --pdeathsig KILL unshare --pid --fork --mount-proc --kill-child sh -c TRAMPOLINE`:
 *
 * - the trampoline's shell is PID 1 of a new namespace and runs the program as its child; when the
 *   program ends, the shell ends, and the kernel kills every process left in the namespace;
 * - `--kill-child` kills the namespace when `unshare` dies, and `--pdeathsig KILL` (kept across
 *   the exec into unshare) kills `unshare` when the worker dies, even by kill -9;
 * - the namespace has its own /proc, so a step sees no process but its own: not the worker's
 *   environment, not another step's.
 *
 * The whole tree stays in one process group, as before, so SIGTERM to the group still reaches the
 * program (PID 1 itself ignores signals it has no handler for) and the reaper still works.
 *
 * Where the kernel refuses namespaces (a container without CAP_SYS_ADMIN, no user namespaces), the
 * worker falls back to process groups alone and says so when it starts. `PTQ_CONTAINMENT` chooses:
 * `auto` (default), `pid-namespace` (refuse to start without it), `process-group`.
 */

/** How this worker contains the processes of a step. */
export type Containment = { kind: 'pid-namespace'; prefix: string[] } | { kind: 'process-group'; reason: string };

/** The values of PTQ_CONTAINMENT. */
export const CONTAINMENT_MODES = ['auto', 'pid-namespace', 'process-group'] as const;

const NAMESPACE = ['--pid', '--fork', '--mount-proc', '--kill-child'];
/** As a user without CAP_SYS_ADMIN, a user namespace first grants it inside. */
const AS_USER = ['--user', '--map-root-user'];

/**
 * The program waits for "go" on stdin, which the worker sends only once the reaper knows the
 * process group; a worker killed in between closes the pipe and nothing runs. The program and its
 * arguments are "$@": argv, never parsed by the shell. In a process group the shell becomes the
 * program (same pid). In a namespace the shell stays (PID 1) and exits with the program's status;
 * its own stderr goes to /dev/null, or it would add "Terminated" to a cancelled step's output, and
 * the program gets the real one (fd 3) through a second shell that execs it.
 */
const WAIT_FOR_GO = 'IFS= read -r go && [ "$go" = go ] || exit 1; ';
const TRAMPOLINE = {
  'pid-namespace': `${WAIT_FOR_GO}exec 3>&2 2>/dev/null; /bin/sh -c 'exec "$@" 2>&3 3>&-' ptq-step "$@" </dev/null; exit $?`,
  'process-group': `${WAIT_FOR_GO}exec "$@" </dev/null`,
} as const;

let detected: Containment | undefined;

/** This worker's containment, probed once (a few milliseconds) and then remembered. */
export function containment(env: NodeJS.ProcessEnv = process.env): Containment {
  detected ??= detect(env);
  return detected;
}

/** The argv that starts `argv` contained: the namespace (if any), then the trampoline. */
export function containedArgv(argv: string[]): string[] {
  const c = containment();
  const prefix = c.kind === 'pid-namespace' ? c.prefix : [];
  return [...prefix, '/bin/sh', '-c', TRAMPOLINE[c.kind], 'ptq-step', ...argv];
}

/**
 * "exit code 3" or "killed by SIGKILL". In a namespace the program's death by a signal reaches the
 * worker as its shell's exit code, 128 + the signal's number, and is told as the signal again.
 */
export function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  const byShell =
    code !== null && code > 128 && containment().kind === 'pid-namespace'
      ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0]
      : undefined;
  if (code === null || byShell) return `killed by ${byShell ?? signal}`;
  return `exit code ${code}`;
}

/** One line for the worker's start: what contains steps here, or a warning about what does not. */
export function describeContainment(c: Containment = containment()): string {
  return c.kind === 'pid-namespace'
    ? `steps run in their own PID namespace (${c.prefix.join(' ')})`
    : `warning: steps run in process groups only (${c.reason}); a step that daemonizes (setsid, nohup … &) can outlive a cancel or this worker`;
}

function detect(env: NodeJS.ProcessEnv): Containment {
  const mode = env.PTQ_CONTAINMENT ?? 'auto';
  if (!(CONTAINMENT_MODES as readonly string[]).includes(mode))
    throw new PtqError(
      `PTQ_CONTAINMENT="${mode}" is not one of ${CONTAINMENT_MODES.join(', ')}`,
      ExitCode.usage,
      'unset it to let the worker choose',
    );
  if (mode === 'process-group') return { kind: 'process-group', reason: 'PTQ_CONTAINMENT=process-group' };
  // By full path: a plan's own PATH must not decide which program contains it.
  const setpriv = which('setpriv', env.PATH);
  const unshare = which('unshare', env.PATH);
  if (!unshare) return fallback(mode, 'no unshare on PATH (Debian: util-linux)');
  const deathSignal =
    setpriv && probe([setpriv, '--pdeathsig', 'KILL', 'true']) === undefined ? [setpriv, '--pdeathsig', 'KILL'] : [];
  const namespace = [unshare, ...NAMESPACE];
  const tried: string[] = [];
  for (const prefix of [
    [...deathSignal, ...namespace],
    [...deathSignal, ...namespace, ...AS_USER],
  ]) {
    const failure = probe([...prefix, 'true']);
    if (failure === undefined) return { kind: 'pid-namespace', prefix };
    tried.push(failure);
  }
  return fallback(mode, `no PID namespace: ${tried.join('; ')}`);
}

/** Process groups, or for PTQ_CONTAINMENT=pid-namespace a refusal to start. */
function fallback(mode: string, reason: string): Containment {
  if (mode === 'pid-namespace')
    throw new PtqError(
      `PTQ_CONTAINMENT=pid-namespace but ${reason}`,
      ExitCode.usage,
      'install util-linux, run the worker as root or allow user namespaces, or unset PTQ_CONTAINMENT',
    );
  return { kind: 'process-group', reason };
}

/** Why argv did not run to a zero exit, or undefined when it did. */
function probe(argv: string[]): string | undefined {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.error) return `${argv[0]}: ${r.error.message}`;
  if (r.status === 0) return undefined;
  return `${argv.join(' ')}: ${r.stderr.trim().split('\n').pop() || `exit code ${r.status}`}`;
}

/** The full path of a program on PATH, or undefined. */
function which(program: string, path = ''): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, program))
    .find((file) => {
      try {
        accessSync(file, fs.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}
