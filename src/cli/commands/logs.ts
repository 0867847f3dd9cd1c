import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ptqRun } from '../../workflows';
import { Command } from 'commander';
import { isTerminal, LineBuffer, notYetPrinted, unseen, type TaskSummary } from '../../core';
import { describedRun, taskOfRun } from '../../client/control';
import { cancelledOutput, liveOutputs } from '../../client/taskLogs';
import { planQuery, progressQuery, taskQuery } from '../../shared';
import { summaryOf } from '../../client/summaryOf';
import { ExitCode, PtqError } from '../../errors';
import { rideOutOutage } from '../../client/outage';
import { action, addressOf, clientFor, waitingClientFor, withConnection } from '../common';
import { EventCursor } from '../../client/runEvents';

interface LogsFlags {
  follow?: boolean;
  failed?: boolean;
  json?: boolean;
}

const POLL_MS = 1_000;

/**
 * Prints task output: `task | line` for every task, or the bare lines of one. Remembers what it
 * printed of each task, so a task followed live and then ended prints only its new lines.
 */
class Printer {
  private readonly printed = new Map<string, { offset: number; lines: string[]; buffer: LineBuffer }>();
  private readonly width: number;

  constructor(
    private readonly only: string | undefined,
    private readonly json: boolean,
    ids: string[],
  ) {
    this.width = Math.min(24, Math.max(0, ...ids.map((t) => t.length)));
  }

  private of(task: string) {
    let p = this.printed.get(task);
    if (!p) this.printed.set(task, (p = { offset: 0, lines: [], buffer: new LineBuffer() }));
    return p;
  }

  private write(task: string, lines: string[]): void {
    for (const line of lines) {
      if (this.json) process.stdout.write(`${JSON.stringify({ task, line })}\n`);
      else process.stdout.write(this.only ? `${line}\n` : `${task.padEnd(this.width)} | ${line}\n`);
    }
  }

  /** New text of a running task; whole lines only, unless `partial` (a one-off look at it). */
  live(task: string, text: string, offset: number, partial = false): void {
    const p = this.of(task);
    p.offset = offset;
    const lines = [...p.buffer.push(text), ...(partial ? p.buffer.flush() : [])];
    p.lines.push(...lines);
    this.write(task, lines);
  }

  offset(task: string): number {
    return this.printed.get(task)?.offset ?? 0;
  }

  /** An ended task's output: what was not printed while it ran. */
  final(task: string, output: string): void {
    this.write(task, notYetPrinted(output, this.printed.get(task)?.lines ?? []));
  }
}

/** `ptq logs RUN [TASK]`: task output while the run goes on and after it ended. */
export function logsCommand(): Command {
  return withConnection(new Command('logs'))
    .description("print tasks' output: of a running step, what it wrote so far; of an ended task, its output tail")
    .argument('<id>', 'run id (or RUN/TASK, as the Web UI shows a task)')
    .argument('[task]', 'only this task (default: every task, each line prefixed "task |")')
    .option('-f, --follow', 'keep printing new lines until the run ends (a server outage is waited out)')
    .option('--failed', 'only failed tasks')
    .option('--json', 'one JSON object per line: {"task", "line"}')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq logs nightly-1 build\n  ptq logs nightly-1 -f\n  ptq logs nightly-1/build\n  ptq logs nightly-1 --failed',
    )
    .action(
      action(async (rawId: string, rawTask: string | undefined, flags: LogsFlags) => {
        // Following waits for the run's end, so it rides out a server outage as `ptq watch` does.
        const address = flags.follow ? addressOf(flags) : undefined;
        const client = address ? await waitingClientFor(flags) : await clientFor(flags);
        const patiently = <T>(call: () => Promise<T>) => (address ? rideOutOutage(call, address) : call());
        const { id, task } = await patiently(() => splitId(client, rawId, rawTask));
        return printLogs(client, id, task, flags, patiently);
      }),
    );
}

/** `RUN/TASK` names a task of RUN, as in `ptq status`. */
async function splitId(client: Client, id: string, task: string | undefined) {
  const named = task === undefined ? await taskOfRun(client, id) : undefined;
  return named ? { id: named.run, task: named.task } : { id, task };
}

/** Runs a call again while the server is unreachable (when following), else once. */
type Patiently = <T>(call: () => Promise<T>) => Promise<T>;

async function printLogs(
  client: Client,
  id: string,
  only: string | undefined,
  flags: LogsFlags,
  patiently: Patiently,
): Promise<number> {
  const { handle, description } = await patiently(() => describedRun(client, id));
  const ended = description.status.name !== 'RUNNING';
  const summary = ended ? await summaryOf(handle) : undefined;
  const ids = summary
    ? summary.tasks.map((t) => t.id)
    : ((await handle.query(planQuery))?.tasks.map((t) => t.id) ?? []);
  if (only !== undefined && !ids.includes(only))
    throw new PtqError(`run "${id}" has no task "${only}"`, ExitCode.usage, `see \`ptq status ${id}\``);
  const wanted = only !== undefined ? [only] : ids;
  const printer = new Printer(only, Boolean(flags.json), wanted);
  const shown = (t: TaskSummary) => !flags.failed || t.status === 'failed';
  const printEnded = async (t: TaskSummary) => {
    if (!shown(t)) return;
    const output = t.output || (t.status === 'cancelled' ? await cancelledOutput(client, id, t.id) : undefined);
    if (output) printer.final(t.id, output);
  };

  if (summary) {
    for (const t of summary.tasks) if (wanted.includes(t.id)) await printEnded(t);
    return ExitCode.ok;
  }
  // A running run: first what ended so far, then what the running steps wrote.
  const tasks = await Promise.all(wanted.map((t) => handle.query(taskQuery, t)));
  const finished = new Set<string>();
  for (const t of tasks) {
    if (t && isTerminal(t.status)) {
      finished.add(t.id);
      await printEnded(t);
    }
  }
  const printLive = async (partial: boolean) => {
    if (flags.failed) return; // a running task has not failed (yet)
    const running = (await handle.query(progressQuery)).running.map((r) => r.id).filter((t) => wanted.includes(t));
    for (const [task, live] of await liveOutputs(client, id, running))
      printer.live(task, unseen(live, printer.offset(task)), live.offset, partial);
  };
  if (!flags.follow) {
    await printLive(true);
    return ExitCode.ok;
  }
  await follow(handle, wanted, finished, printLive, printEnded, patiently);
  return ExitCode.ok;
}

/**
 * Until the run ends: new lines of running tasks, and each task's last lines when it ends. Each
 * round is done again after an outage: lines already printed are not printed twice, and a task
 * whose end fell into the outage is printed from the summary at the latest.
 */
async function follow(
  handle: WorkflowHandle<typeof ptqRun>,
  wanted: string[],
  finished: Set<string>,
  printLive: (partial: boolean) => Promise<void>,
  printEnded: (t: TaskSummary) => Promise<void>,
  patiently: Patiently,
): Promise<void> {
  const events = new EventCursor(handle);
  await events.next(); // what happened before is printed already
  const endTask = async (t: TaskSummary | null | undefined) => {
    if (!t || finished.has(t.id) || !isTerminal(t.status)) return;
    finished.add(t.id);
    await printEnded(t);
  };
  const round = async (): Promise<boolean> => {
    if ((await handle.describe()).status.name !== 'RUNNING') return false;
    await printLive(false).catch(() => undefined);
    for (const e of (await events.next()) ?? [])
      if (e.event !== 'started' && wanted.includes(e.task)) await endTask(await handle.query(taskQuery, e.task));
    return true;
  };
  while (await patiently(round)) await new Promise((r) => setTimeout(r, POLL_MS));
  // A run that ended without a summary (terminated) has nothing more to print; giving up on the server does.
  const summary = await patiently(() => summaryOf(handle)).catch((err: unknown) => {
    if (err instanceof PtqError) throw err;
    return undefined;
  });
  for (const t of summary?.tasks ?? []) if (wanted.includes(t.id)) await endTask(t);
}
