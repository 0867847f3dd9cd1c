import { mapNote, type TaskSummary } from '../core';
import { formatDuration } from '../core/plan/duration';
import { printJson } from './common';

/** `ptq status RUN/TASK` and `ptq result RUN/TASK`: one task, as JSON or as a few lines. */
export function printTask(id: string, t: TaskSummary, json: boolean | undefined): void {
  if (json) return printJson({ run: id.slice(0, id.lastIndexOf('/')), ...t });
  const facts = [
    `attempts ${t.attempts}`,
    t.worker && `worker ${t.worker}`,
    t.durationMs !== null && formatDuration(t.durationMs),
  ].filter(Boolean);
  const lines = [`${id}: ${t.status}  (${facts.join(', ')})`];
  if (t.reason) lines.push(`reason: ${t.reason}`);
  if (t.error) lines.push(`error: ${t.error}`);
  if (t.items) lines.push(`map: ${mapNote(t.items, t.stop)}`);
  if (t.results) lines.push(`results: ${t.results}`);
  if (t.output)
    lines.push(
      'output:',
      ...t.output
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  process.stdout.write(`${lines.join('\n')}\n`);
}
