import type { Client } from '@temporalio/client';
import { doneCount, type Progress, type RunSummary } from '../core';
import { describedRun, withMapProgress } from '../control';
import { progressQuery } from '../shared';
import { rideOutOutage } from '../outage';
import { progressView } from './render';

const POLL_MS = 500;

/**
 * Follows a run until it ends and returns its summary. On a terminal it redraws a live view in
 * place; otherwise it prints one plain line per change, which suits logs and CI.
 */
export async function watchRun(
  client: Client,
  id: string,
  options: { detachOnCtrlC?: boolean; address?: string } = {},
): Promise<RunSummary> {
  const out = process.stdout;
  const address = options.address ?? 'the server';
  const { handle, description } = await rideOutOutage(() => describedRun(client, id), address);
  const tty = Boolean(out.isTTY);
  const startedAt = description.startTime.getTime();
  const seenFailures = new Set<string>();
  let drawn = 0;
  let lastLine = '';
  // Ctrl-C stops watching, not the run: say so, and how to stop the run itself.
  if (options.detachOnCtrlC) {
    process.once('SIGINT', () => {
      process.stderr.write(`\nstopped watching; ${id} goes on (\`ptq cancel ${id}\` stops it)\n`);
      process.exit(130);
    });
  }
  const statusNow = async () => (await rideOutOutage(() => handle.describe(), address)).status.name;
  for (let status = description.status.name; status === 'RUNNING'; status = await statusNow()) {
    const p = await handle
      .query(progressQuery)
      .then((progress) => withMapProgress(client, id, progress))
      .catch(() => undefined);
    if (p) {
      const now = Date.now();
      if (tty) {
        const lines = progressView(p, now, now - startedAt);
        out.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
        drawn = lines.length;
      } else {
        lastLine = printPlain(out, p, seenFailures, lastLine);
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return rideOutOutage(() => handle.result(), address);
}

function printPlain(out: NodeJS.WriteStream, p: Progress, seen: Set<string>, last: string): string {
  for (const f of p.recentFailures) {
    const key = `${f.id}@${f.at}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.write(`failed ${f.id}: ${f.error.split('\n')[0]}\n`);
  }
  const line = `progress ${doneCount(p)}/${p.total} done, ${p.counts.running} running, ${p.counts.failed} failed${p.paused ? ', paused' : ''}`;
  if (line !== last) out.write(`${line}\n`);
  return line;
}
