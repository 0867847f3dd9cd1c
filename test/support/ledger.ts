import { existsSync, readFileSync } from 'node:fs';
import { runningWith, waitFor } from './processes';
import { startWorkerProcess, type WorkerProcess } from './workers';

/**
 * A ledger that tasks write to as they really run: `start`, a `tick` every 100 ms while alive, and
 * `end`, each with the task id, a random number of the attempt and the time. From it a test can
 * tell what ran, how often, and whether two attempts of one task ever overlapped, whatever the
 * scheduler or Temporal believe.
 */

/** `sh -c` program of a ledger task: id, ledger file, tick count and attempt come in as argv, never as code. */
const SCRIPT = [
  'id=$1; l=$2; n=$3; a=$4',
  'echo "start $id $a $(date +%s%3N)" >> "$l"',
  'i=0; while [ $i -lt $n ]; do sleep 0.1; echo "tick $id $a $(date +%s%3N)" >> "$l"; i=$((i+1)); done',
  'echo "end $id $a $(date +%s%3N)" >> "$l"',
].join('\n');

/**
 * Starts SCRIPT with a random attempt number as its last argument, in argv so that /proc shows it
 * (`attemptAlive`): `$$` cannot tell attempts apart, every step being PID 2 of its own namespace.
 */
const START = 'exec sh -c "$1" ledger-task "$2" "$3" "$4" "$(od -An -N8 -tu8 /dev/urandom | tr -d " ")"';

/** The argv of a ledger task: `sh -c` with its arguments, for a task's command or a step's. */
export function ledgerCommand(id: string, ledger: string, ticks: number): string[] {
  return ['sh', '-c', START, 'sh', SCRIPT, id, ledger, String(ticks)];
}

/** A shell task that runs about `ticks` × 100 ms and records itself in the ledger. */
export function ledgerTask(id: string, ledger: string, ticks: number, extra: Record<string, unknown> = {}) {
  return { id, run: { type: 'shell' as const, command: ledgerCommand(id, ledger, ticks) }, ...extra };
}

/**
 * A task whose step starts the ledger task as a daemon (`setsid -f`: a session of its own, out of
 * the step's process group), then waits for its end in the ledger. A daemon that outlived its
 * step would run next to the retry's, and end too.
 */
export function daemonTask(id: string, ledger: string, ticks: number, extra: Record<string, unknown> = {}) {
  const wait = 'id=$1; l=$2; shift 2; setsid -f "$@"; until grep -q "^end $id " "$l"; do sleep 0.1; done';
  const command = ['sh', '-c', wait, 'sh', id, ledger, ...ledgerCommand(id, ledger, ticks)];
  return { id, run: { type: 'shell' as const, command }, ...extra };
}

/** One attempt of a task, as the ledger saw it. */
export interface Attempt {
  task: string;
  /** A random number the attempt drew when it started. */
  attempt: string;
  start: number;
  /** Time of the last line the attempt wrote. */
  last: number;
  ended: boolean;
}

/** Every attempt in the ledger, in order of start. */
export function readLedger(file: string): Attempt[] {
  const attempts = new Map<string, Attempt>();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n').filter(Boolean)) {
    const [kind, task, attempt, at] = line.split(' ');
    const time = Number(at);
    const a = attempts.get(attempt) ?? { task, attempt, start: time, last: time, ended: false };
    a.last = Math.max(a.last, time);
    if (kind === 'end') a.ended = true;
    attempts.set(attempt, a);
  }
  return [...attempts.values()].sort((x, y) => x.start - y.start);
}

/**
 * How close to a crash a step may have ended and still run again: its process had exited but the
 * worker died before its report reached the server (Temporal activities are at-least-once). On 2
 * busy cores that report can lag the exit by a few hundred milliseconds, and a step in its last
 * instant can still finish in the moment between the worker's death and the reaper's kill.
 */
export const REPORT_WINDOW_MS = 500;

/**
 * What went wrong in a ledger, as readable lines (empty when nothing did): a task that never
 * ended, one that ended twice (unless the first end fell in the report window around `crashAt`
 * and another attempt followed), and two attempts of one task alive at the same time.
 */
export function ledgerProblems(attempts: Attempt[], taskIds: string[], crashAt?: number): string[] {
  const problems: string[] = [];
  for (const id of taskIds) {
    const mine = attempts.filter((a) => a.task === id);
    const lostReport = (a: Attempt) => crashAt !== undefined && Math.abs(a.last - crashAt) < REPORT_WINDOW_MS;
    const ends = mine.filter((a) => a.ended && !(lostReport(a) && mine.some((b) => b.start > a.last))).length;
    if (ends !== 1) problems.push(`${id} ended ${ends} times`);
    for (let i = 1; i < mine.length; i++) {
      if (mine[i].start <= mine[i - 1].last)
        problems.push(`${id}: attempt ${mine[i].attempt} started while ${mine[i - 1].attempt} was still running`);
    }
  }
  return problems;
}

/**
 * Whether any process of an attempt still lives: the attempt's number is in its argv, and stays
 * there in the processes it forks (`sleep` ticks aside, which end within 100 ms), whatever
 * namespace or session they run in.
 */
export function attemptAlive(attempt: Attempt): boolean {
  return runningWith(attempt.attempt).length > 0;
}

/**
 * A crash halfway through a run of `n` ledger tasks (or items): once half of them ended and some
 * are mid-step, kills the last of `workers` with -9 and starts another on `queue` (added to
 * `workers`, for the caller to kill at the end). Returns when it killed it, and the attempts that
 * were running then: the caller checks none of them lives on.
 */
export async function killWorkerHalfway(
  workers: WorkerProcess[],
  queue: string,
  ledger: string,
  n: number,
): Promise<{ killedAt: number; orphans: Attempt[] }> {
  const ended = () => readLedger(ledger).filter((a) => a.ended).length;
  await waitFor(() => (ended() >= n / 2 && readLedger(ledger).some((a) => !a.ended)) || undefined, 60_000);
  workers[workers.length - 1].child.kill('SIGKILL');
  const killedAt = Date.now();
  await new Promise((r) => setTimeout(r, 100));
  const orphans = readLedger(ledger).filter((a) => !a.ended);
  workers.push(await startWorkerProcess(queue));
  return { killedAt, orphans };
}
