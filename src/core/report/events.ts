import { mapNote } from '../schedule/map';
import type { Scheduler } from '../schedule/scheduler';

/** A task's step through a run, as `ptq watch` prints it and `watch --json` streams it. */
export interface RunEvent {
  /** Position in this generation's log (a continue-as-new starts a new one). */
  seq: number;
  at: string;
  task: string;
  event: 'started' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  title?: string;
  attempts?: number;
  durationMs?: number;
  /** Failed: the error. Skipped or cancelled: why. A map that succeeded: its items, and why it stopped early. */
  why?: string;
}

/** A page of the log: events after a position, and where to ask from next. */
export interface EventPage {
  generation: number;
  next: number;
  /** Events before `next - events.length` that fell out of the log before they were read. */
  dropped: number;
  events: RunEvent[];
}

const KEPT = 5_000;
const WHY_CHARS = 300;

/**
 * The recent events of a run, kept in workflow memory only (replay rebuilds them exactly), so
 * following a run costs no history events. Details are read from the scheduler when asked.
 */
export class EventLog {
  private readonly log: Array<{ seq: number; at: number; task: string; event: RunEvent['event'] }> = [];
  private seq = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly generation: number,
    now: () => number,
  ) {
    scheduler.onStatus = (task, to) => {
      if (to === 'pending' || to === 'ready') return;
      this.log.push({ seq: this.seq++, at: now(), task, event: to === 'running' ? 'started' : to });
      if (this.log.length > KEPT) this.log.shift();
    };
  }

  after(position: number): EventPage {
    const first = this.log.findIndex((e) => e.seq >= position);
    const page = first < 0 ? [] : this.log.slice(first);
    const oldest = this.log[0]?.seq ?? this.seq;
    return {
      generation: this.generation,
      next: this.seq,
      dropped: Math.max(0, oldest - position),
      events: page.map((e) => this.detail(e)),
    };
  }

  private detail(e: (typeof this.log)[number]): RunEvent {
    const t = this.scheduler.task(e.task);
    const title = this.scheduler.plan.tasks[this.scheduler.graph.index[e.task]].title;
    const out: RunEvent = { seq: e.seq, at: new Date(e.at).toISOString(), task: e.task, event: e.event };
    if (title) out.title = title;
    if (e.event === 'started') return out;
    if (t.attempts) out.attempts = t.attempts;
    if (t.startedAt !== undefined && t.endedAt !== undefined) out.durationMs = t.endedAt - t.startedAt;
    const why =
      e.event === 'failed' ? t.error : e.event === 'succeeded' ? t.items && mapNote(t.items, t.stop) : t.reason;
    if (why) out.why = why.split('\n')[0].slice(0, WHY_CHARS);
    return out;
  }
}
