import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RunEvent } from '../core';
import { RetryWatch, type Retrying } from './stepRetries';
import { eventsQuery } from '../shared';
import { LimitWatch, type LimitWait } from './limitWaits';

/**
 * What `ptq watch --json` prints and `GET /runs/{id}/events` sends: task events, retries as they
 * happen, and a task's steps starting (`waiting`, with how many) and ceasing (`waited`) to wait on
 * a rate limit.
 */
export type FeedEvent =
  | RunEvent
  | ({ event: 'retrying'; at: string } & Retrying)
  | ({ event: 'waiting'; at: string } & LimitWait)
  | { event: 'waited'; at: string; task: string; limit: string };

/** Reads the run's event log page by page; a continue-as-new starts a new log. Undefined from a worker that has none. */
export class EventCursor {
  private generation = -1;
  private position = 0;

  constructor(private readonly handle: WorkflowHandle) {}

  async next(): Promise<RunEvent[] | undefined> {
    let page = await this.handle.query(eventsQuery, this.position).catch(() => undefined);
    if (!page) return undefined;
    if (page.generation !== this.generation && this.position > 0) page = await this.handle.query(eventsQuery, 0);
    this.generation = page.generation;
    this.position = page.next;
    return page.events;
  }
}

/**
 * A run's events since the last call: the run's own log, plus a `retrying` event for each new
 * attempt of a running child task's step, looked up every other call (the server, not the run,
 * knows of retries while they happen). Undefined from a worker without an event log.
 */
export class EventFeed {
  private readonly cursor: EventCursor;
  private readonly retries: RetryWatch;
  private readonly limits: LimitWatch;
  private readonly running = new Set<string>();
  /** The (task, limit) pairs seen waiting at the last look, by `task limit`. */
  private waiting = new Map<string, LimitWait>();
  private calls = 0;

  constructor(client: Client, id: string, handle: WorkflowHandle) {
    this.cursor = new EventCursor(handle);
    this.retries = new RetryWatch(client, id);
    this.limits = new LimitWatch(client, id);
  }

  async next(): Promise<FeedEvent[] | undefined> {
    const page = await this.cursor.next();
    if (page === undefined) return undefined;
    for (const e of page) {
      if (e.event === 'started') this.running.add(e.task);
      else this.running.delete(e.task);
    }
    const waits = await this.waitChanges();
    if (this.calls++ % 2) return [...page, ...waits];
    const at = new Date().toISOString();
    const retries = await this.retries.poll([...this.running]);
    return [...page, ...retries.map((r) => ({ event: 'retrying' as const, at, ...r })), ...waits];
  }

  /** `waiting` for each task and limit that started waiting since the last look, `waited` for each that stopped. */
  private async waitChanges(): Promise<FeedEvent[]> {
    const now = new Map((await this.limits.poll([...this.running])).map((w) => [`${w.task} ${w.limit}`, w]));
    const at = new Date().toISOString();
    const events: FeedEvent[] = [];
    for (const [key, w] of now) if (!this.waiting.has(key)) events.push({ event: 'waiting', at, ...w });
    for (const [key, w] of this.waiting)
      if (!now.has(key)) events.push({ event: 'waited', at, task: w.task, limit: w.limit });
    this.waiting = now;
    return events;
  }
}
