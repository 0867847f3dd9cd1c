import { readFileSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import { keepHeartbeating } from './stepResult';
import { writeAtomically } from '../map/mapFiles';
import { stepFile } from './stepJournal';

/**
 * Leases on running steps, under PTQ_DATA_DIR/steps, for workers that share the folder (one
 * machine, or a shared mount). The worker that runs a step, or keeps its orphaned program running
 * for a retry (adoption.ts), holds the step's lease and refreshes it every LEASE_REFRESH_MS. A
 * retry that lands on another worker waits while the lease is held, then takes the journaled
 * result or, if the step did not finish, runs it. The lease is given up when the step ends; a lease
 * not refreshed for LEASE_STALE_MS, or whose worker process is gone (same host), is no longer held.
 */

const LEASE_REFRESH_MS = 1_000;
/** A lease older than this is no longer held: its worker is stuck or gone. */
export const LEASE_STALE_MS = 10_000;
const WAIT_POLL_MS = 500;

interface Holder {
  host: string;
  pid: number;
}

const me: Holder = { host: hostname(), pid: process.pid };

/**
 * A file refreshed while its owner lives, removed when done: the lease of a step's runner, or the
 * mark of a retry waiting for it (`waiting`), which tells the runner's orphan watch not to give up.
 */
function hold(file: string): () => void {
  writeAtomically(file, JSON.stringify(me));
  const timer = setInterval(() => touch(file), LEASE_REFRESH_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
}

function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // Removed meanwhile: nothing to refresh.
  }
}

/** Whoever holds a fresh `file` other than this process, if it is still alive. */
function heldBy(file: string): Holder | undefined {
  try {
    if (Date.now() - statSync(file).mtimeMs > LEASE_STALE_MS) return undefined;
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    if (holder.host === me.host && holder.pid === me.pid) return undefined;
    return holder.host !== me.host || alive(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lease of step `key` while this worker runs it; call the returned function when it has ended. */
export function holdLease(key: string): () => void {
  return hold(stepFile(key, 'lease'));
}

/** Whether a retry on another worker waits for the step `key` (see `waitForLease`). */
export function retryWaiting(key: string): boolean {
  return heldBy(stepFile(key, 'waiting')) !== undefined;
}

/**
 * Waits while another worker holds the lease of step `key`, heartbeating meanwhile and marked as
 * waiting. Throws the activity's cancel if it comes first.
 */
export async function waitForLease(key: string): Promise<void> {
  const file = stepFile(key, 'lease');
  const holder = heldBy(file);
  if (!holder) return;
  const ctx = Context.current();
  ctx.log.info(`step still runs on ${holder.host}:${holder.pid}; waiting until it ends or its lease lapses`);
  const stopHeartbeats = keepHeartbeating();
  const release = hold(stepFile(key, 'waiting'));
  try {
    while (heldBy(file)) await ctx.sleep(WAIT_POLL_MS);
  } finally {
    release();
    stopHeartbeats();
  }
}
