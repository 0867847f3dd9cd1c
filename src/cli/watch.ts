import type { Client } from '@temporalio/client';
import { doneCount, formatDuration, plural, type Progress, type RunEvent, type RunSummary } from '../core';
import { describedRun, whyNoWorker, withMapProgress } from '../client/control';
import { progressQuery } from '../shared';
import { rideOutOutage } from '../client/outage';
import { summaryOf } from '../client/summaryOf';
import { progressView } from './render';
import { RetryWatch, type Retrying } from '../client/stepRetries';
import { EventFeed, type FeedEvent } from '../client/runEvents';
import { LimitWatch, waitNote } from '../client/limitWaits';

const POLL_MS = 500;
/** Polls between two looks for a worker on the run's task queue (about every 3 s). */
const WORKER_CHECK_POLLS = 6;

/**
 * Follows a run until it ends and returns its summary. On a terminal it redraws a live view in
 * place, fitted to the window; otherwise it prints one line per task event (started, succeeded,
 * failed with its error, skipped with why), which is what CI logs need, or with `json` the same
 * events as NDJSON.
 */
export async function watchRun(
  client: Client,
  id: string,
  options: { detachOnCtrlC?: boolean; address?: string; json?: boolean } = {},
): Promise<RunSummary> {
  const out = process.stdout;
  const address = options.address ?? 'the server';
  const { handle, description } = await rideOutOutage(() => describedRun(client, id), address);
  const tty = Boolean(out.isTTY) && !options.json;
  const startedAt = description.startTime.getTime();
  const events = new EventFeed(client, id, handle);
  const fallback = new PlainProgress();
  const retries = new RetryWatch(client, id);
  const limits = new LimitWatch(client, id);
  let drawn = 0;
  let tick = 0;
  // Ctrl-C stops watching, not the run: say so, and how to stop the run itself.
  if (options.detachOnCtrlC) {
    process.once('SIGINT', () => {
      process.stderr.write(`\nstopped watching; ${id} goes on (\`ptq cancel ${id}\` stops it)\n`);
      process.exit(130);
    });
  }
  const print = async () => {
    const page = await events.next();
    if (page === undefined) {
      // A worker from before the event log: plain progress lines instead.
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p && !options.json) fallback.print(out, p);
      return;
    }
    for (const e of page) out.write(`${options.json ? JSON.stringify(e) : feedLine(e)}\n`);
  };
  const draw = async () => {
    const p = await handle
      .query(progressQuery)
      .then((progress) => withMapProgress(client, id, progress))
      .catch(() => undefined);
    if (!p) return;
    const rows = runningRows(out, p);
    if (tick % 2 === 0)
      await retries.poll(
        p.running
          .slice(0, rows)
          .filter((r) => !r.map)
          .map((r) => r.id),
      );
    for (const r of p.running) r.attempt = retries.attempt(r.id);
    const waits = await limits.poll(p.running.map((r) => r.id));
    for (const w of waits) {
      const row = p.running.find((r) => r.id === w.task);
      if (row) row.waiting = waitNote(w);
      else (p.waiting ??= []).push(`${w.task}: ${waitNote(w)}`);
    }
    drawn = redraw(out, progressView(p, Date.now(), Date.now() - startedAt, rows), drawn);
  };
  const statusNow = async () => (await rideOutOutage(() => handle.describe(), address)).status.name;
  // A run nobody polls for waits in silence: say so at once, as `ptq status` does, and again
  // whenever the last worker goes away. Until one comes, no query can be answered: only the
  // run's status is followed, so a run terminated meanwhile ends the watch at once.
  let idle = false;
  const lookForWorker = async () => {
    const why = await whyNoWorker(client, description.taskQueue);
    if (why && !idle) {
      process.stderr.write(`waiting: ${why}\n`);
      drawn = 0;
    }
    idle = why !== undefined;
  };
  for (let status = description.status.name; status === 'RUNNING'; status = await statusNow()) {
    if (idle || tick % WORKER_CHECK_POLLS === 0) await lookForWorker();
    if (!idle) await (tty ? draw() : print());
    tick++;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (!tty && !idle) await print().catch(() => undefined); // the last events, read from the ended run
  return rideOutOutage(() => summaryOf(handle), address);
}

/** Draws over the previous frame and clears what is left of it below. */
function redraw(out: NodeJS.WriteStream, lines: string[], drawn: number): number {
  const fit = lines.slice(0, Math.max(1, (out.rows || 40) - 1)).map((l) => l.slice(0, out.columns || 200));
  out.write(`${drawn ? `\x1b[${drawn}A` : ''}${fit.map((l) => `\r\x1b[2K${l}`).join('\n')}\n\x1b[J`);
  return fit.length;
}

/** How many running tasks fit under the bar, the groups and the recent failures. */
function runningRows(out: NodeJS.WriteStream, p: Progress): number {
  const others = 1 + (p.groups?.length ?? 0) + Math.min(3, p.recentFailures.length) + 1;
  const perTask = p.running.some((r) => r.items) ? 2 : 1;
  return Math.max(1, Math.floor(((out.rows || 40) - 1 - others) / perTask));
}

/** One line per event, e.g. "12:00:03 failed    build after 3 attempts: exit code 1: boom". */
export function eventLine(e: RunEvent): string {
  const head = `${e.at.slice(11, 19)} ${e.event.padEnd(9)} ${e.task}`;
  const tries = e.attempts && e.attempts > 1 ? ` after ${e.attempts} attempts` : '';
  switch (e.event) {
    case 'started':
      return `${head}${e.title ? ` (${e.title})` : ''}`;
    case 'succeeded':
      return `${head}${e.durationMs !== undefined ? ` in ${formatDuration(e.durationMs)}` : ''}${tries}${e.why ? `: ${e.why}` : ''}`;
    case 'failed':
      return `${head}${tries}: ${e.why ?? 'failed'}`;
    default:
      return `${head}${e.why ? `: ${e.why}` : ''}`;
  }
}

function feedLine(e: FeedEvent): string {
  switch (e.event) {
    case 'retrying':
      return retryLine(e.at, e);
    case 'waiting':
      return `${e.at.slice(11, 19)} ${'waiting'.padEnd(9)} ${e.task}: ${plural(e.steps, 'step')} waiting for ${e.limit}`;
    case 'waited':
      return `${e.at.slice(11, 19)} ${'waited'.padEnd(9)} ${e.task}: no step waits for ${e.limit} any more`;
    default:
      return eventLine(e);
  }
}

/** "12:00:04 retrying  build attempt 2/3: exit code 1: boom". */
function retryLine(at: string, r: Retrying): string {
  const of = r.maxAttempts ? `/${r.maxAttempts}` : '';
  return `${at.slice(11, 19)} ${'retrying'.padEnd(9)} ${r.task} attempt ${r.attempt}${of}${r.why ? `: ${r.why}` : ''}`;
}

/** The old plain output: a line per change of the counts, and each new failure. */
class PlainProgress {
  private last = '';
  private readonly seen = new Set<string>();

  print(out: NodeJS.WriteStream, p: Progress): void {
    for (const f of p.recentFailures) {
      const key = `${f.id}@${f.at}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      out.write(`failed ${f.id}: ${f.error.split('\n')[0]}\n`);
    }
    const line = `progress ${doneCount(p)}/${p.total} done, ${p.counts.running} running, ${p.counts.failed} failed${p.paused ? ', paused' : ''}`;
    if (line !== this.last) out.write(`${line}\n`);
    this.last = line;
  }
}
