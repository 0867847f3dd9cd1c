import { randomBytes } from 'node:crypto';
import { readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ApplicationFailure, log } from '@temporalio/activity';
import { failureOf } from '../core/failures';
import type { StatusSync } from '../core/plan/plan';

/** A TaskMaster status ptq writes. */
export type SyncedStatus = 'in-progress' | 'done' | 'pending';

export interface StatusUpdates {
  sync: StatusSync;
  /** Plan task id → its new status, in the order they happened (the last one wins). */
  updates: Array<[taskId: string, status: SyncedStatus]>;
}

type Entry = { id?: unknown; status?: unknown; subtasks?: Entry[] };

/** One write at a time per file on this worker; the run sends one batch at a time. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Writes task status back into a TaskMaster tasks.json, the way `task-master set-status` would: it
 * reads the whole file, sets `status` on the tasks named, and replaces the file atomically (a temp
 * file renamed over it), so TaskMaster or an editor never sees half a file. A tasks.json that is a
 * symlink is written through: the temp file goes beside the link's target and replaces the target,
 * so the link stays a link and the file it points at gets the status. Tasks that are no longer
 * in the file are reported in the log, not as an error: the run itself is what matters.
 */
export async function syncTaskStatus({ sync, updates }: StatusUpdates): Promise<{ written: number }> {
  const file = sync.taskmaster.file;
  const turn = (queues.get(file) ?? Promise.resolve()).then(() => writeStatus(sync, updates));
  queues.set(
    file,
    turn.catch(() => undefined),
  );
  return turn;
}

async function writeStatus({ taskmaster }: StatusSync, updates: StatusUpdates['updates']) {
  const { file, tag } = taskmaster;
  let text: string;
  let target: string;
  try {
    target = await realpath(file);
    text = await readFile(target, 'utf8');
  } catch (err) {
    throw ApplicationFailure.create(failureOf('StatusSyncError', `cannot read ${file}: ${(err as Error).message}`));
  }
  const data = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, { tasks?: Entry[] }> & { tasks?: Entry[] };
  const list = (tag ? data[tag]?.tasks : data.tasks) ?? [];
  let written = 0;
  for (const [id, status] of updates) {
    const origin = taskmaster.tasks[id];
    const entry = origin && findEntry(list, origin);
    if (!entry) {
      log.warn(`--sync-status: task ${id} is no longer in ${file}`);
      continue;
    }
    entry.status = status;
    written++;
  }
  const temp = join(dirname(target), `.${basename(target)}.ptq-${randomBytes(4).toString('hex')}`);
  await writeFile(temp, JSON.stringify(data, null, 2) + (text.endsWith('\n') ? '\n' : ''), {
    mode: (await stat(target)).mode,
  });
  await rename(temp, target);
  return { written };
}

function findEntry(list: Entry[], origin: StatusSync['taskmaster']['tasks'][string]): Entry | undefined {
  const task = list.find((t) => String(t.id) === origin.task);
  if (origin.subtask === undefined) return task;
  return (task?.subtasks ?? []).filter((s) => String(s.id) === origin.subtask)[(origin.nth ?? 1) - 1];
}
