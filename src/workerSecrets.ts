import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * The secrets a worker holds. A worker is started with API keys, tokens and database URLs in its
 * environment, and everything it starts would inherit them: a step could read them from
 * /proc/<worker>/environ, a git hook a task wrote would run with them. So `ptq worker` and `ptq dev`
 * call `holdWorkerSecrets()` first: the worker's environment keeps only the variables named below,
 * which hold no secrets, and every other variable moves into this module's memory. The kernel keeps
 * a copy of the initial environment for /proc/PID/environ, so those entries are also overwritten
 * there. Steps still get only a minimal environment plus what their plan names (secrets.ts).
 *
 * A variable is kept when it is listed here or in `PTQ_KEEP_ENV=NAME,...` (for a proxy or a tool
 * the worker's own git needs), unless its name looks like a secret or is allowed to steps as one
 * (`PTQ_SECRETS`): those are always held.
 */

const KEPT = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'PWD',
  'HOSTNAME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TERM',
  'SSH_AUTH_SOCK',
  'GIT_SSH_COMMAND',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
]);
const KEPT_PREFIXES = ['LC_', 'PTQ_', 'TEMPORAL_', 'NODE_', 'XDG_'];

/** Names that hold secrets by convention: never kept in the environment, masked in every output. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/** Shorter values would mask ordinary words and digits. */
const MIN_MASKED_LENGTH = 4;

const held: Record<string, string> = {};

/** What holding did: the names moved out of the environment, and why the kernel's copy still shows them, if it does. */
export interface HoldReport {
  held: string[];
  wipeFailure?: string;
}

/** Moves every variable that is not kept out of process.env and out of /proc/self/environ. Call once, at start. */
export function holdWorkerSecrets(): HoldReport {
  const env = process.env;
  const extra = names(env.PTQ_KEEP_ENV);
  const allowed = allowedSecrets(env);
  const keep = (name: string) =>
    !SECRET_NAME.test(name) &&
    !allowed.has(name) &&
    (KEPT.has(name) || extra.has(name) || KEPT_PREFIXES.some((p) => name.startsWith(p)));
  const moved = Object.keys(env).filter((name) => !keep(name));
  for (const name of moved) {
    held[name] = env[name] as string;
    delete env[name];
  }
  return { held: moved, wipeFailure: moved.length ? wipeInitialEnvironment(new Set(moved)) : undefined };
}

/** The worker's whole environment as it was started: what it kept and what it holds. */
export function workerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...held };
}

/** Worker variables a plan may pass to its steps by name (`PTQ_SECRETS=NAME,...`). */
export function allowedSecrets(env: NodeJS.ProcessEnv = workerEnv()): Set<string> {
  return names(env.PTQ_SECRETS);
}

/**
 * Every secret value this worker holds, to mask in what leaves it: the secrets allowed to steps and
 * every variable whose name says it is one. Longest first, so a value inside another is masked whole.
 */
export function secretValues(env: NodeJS.ProcessEnv = workerEnv()): string[] {
  const allowed = allowedSecrets(env);
  const values = Object.entries(env)
    // PTQ_SECRETS has SECRET in its name but holds names, which would turn `NAME=***` into `***=***`.
    .filter(([name, value]) => value && name !== 'PTQ_SECRETS' && (allowed.has(name) || SECRET_NAME.test(name)))
    .map(([, value]) => value as string)
    .filter((v) => v.length >= MIN_MASKED_LENGTH);
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

function names(list = ''): Set<string> {
  return new Set(
    list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/**
 * /proc/PID/environ reads the process's initial environment strings from its memory, whatever
 * process.env holds now. A process may write its own memory through /proc/self/mem, so the held
 * entries are overwritten with NUL bytes there (libc no longer points at them once unset). Returns
 * why that failed, or undefined.
 */
function wipeInitialEnvironment(names: Set<string>): string | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // proc(5): fields 50 and 51 are env_start and env_end; field 3 follows the command's ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[50 - 3]);
    const initial = readFileSync('/proc/self/environ');
    if (!start || Number(fields[51 - 3]) - start !== initial.length) return 'its place in memory is unknown';
    const fd = openSync('/proc/self/mem', 'r+');
    try {
      for (let at = 0; at < initial.length;) {
        const end = initial.indexOf(0, at) < 0 ? initial.length : initial.indexOf(0, at);
        const entry = initial.subarray(at, end).toString();
        if (names.has(entry.slice(0, entry.indexOf('='))))
          writeSync(fd, Buffer.alloc(end - at), 0, end - at, start + at);
        at = end + 1;
      }
    } finally {
      closeSync(fd);
    }
    const now = readFileSync('/proc/self/environ').toString().split('\0');
    return now.some((e) => names.has(e.slice(0, e.indexOf('=')))) ? 'the kernel still shows it' : undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
