import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Rows } from './support';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What one hop of a chain of child workflows is made of, in ms, from the server's event times. */
export interface HopParts {
  /** The child's last activity done -> the child closed: its last workflow task. */
  childClose: number;
  /** The child closed -> the parent asked for the next child: the parent's turn (wait + its workflow task). */
  parentTurn: number;
  /** Of parentTurn: the parent's workflow task itself, started -> completed (the worker's time in it). */
  parentTask: number;
  /** The parent asked -> the next child started. */
  childStart: number;
  /** The child started -> its activity scheduled: the child's first workflow task (wait + work). */
  childFirst: number;
  /** Of childFirst: that workflow task itself, started -> completed. */
  childFirstTask: number;
  /** Activity scheduled -> started on the worker. */
  activityStart: number;
}

const ms = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/**
 * The parts of each hop of a chain run as children of `parentId`, one child after another (ptq's
 * chain bench with `execution: child`, or `bareChildChain`): which part of a child hop is the
 * parent's bookkeeping, which the child's first and last workflow tasks, which Temporal's dispatch.
 */
export async function hopParts(client: Client, parentId: string): Promise<HopParts[]> {
  const parent = (await client.workflow.getHandle(parentId).fetchHistory()).events ?? [];
  const children: Array<{ initiated: number; events: HistoryEvent[] }> = [];
  for (const e of parent) {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (!id) continue;
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    children.push({ initiated: ms(e), events });
  }
  const parts: HopParts[] = [];
  for (let i = 1; i < children.length; i++) {
    const before = children[i - 1].events;
    const { initiated, events } = children[i];
    const closed = ms(before[before.length - 1]);
    const lastActivityDone = ms(last(before, (e) => !!e.activityTaskCompletedEventAttributes));
    // The parent's workflow task that asked for child i: the last one completed before the request.
    const parentStarted = last(parent, (e) => !!e.workflowTaskStartedEventAttributes && ms(e) <= initiated);
    const parentCompleted = parent.find((e) => !!e.workflowTaskCompletedEventAttributes && ms(e) >= ms(parentStarted));
    const scheduled = events.find((e) => !!e.activityTaskScheduledEventAttributes);
    const activityStarted = events.find((e) => !!e.activityTaskStartedEventAttributes);
    const firstStarted = events.find((e) => !!e.workflowTaskStartedEventAttributes);
    const firstCompleted = events.find((e) => !!e.workflowTaskCompletedEventAttributes);
    if (!scheduled || !activityStarted || !firstStarted || !firstCompleted || !parentCompleted) continue;
    parts.push({
      childClose: closed - lastActivityDone,
      parentTurn: initiated - closed,
      parentTask: ms(parentCompleted) - ms(parentStarted),
      childStart: ms(events[0]) - initiated,
      childFirst: ms(scheduled) - ms(events[0]),
      childFirstTask: ms(firstCompleted) - ms(firstStarted),
      activityStart: ms(activityStarted) - ms(scheduled),
    });
  }
  return parts;
}

function last(events: HistoryEvent[], test: (e: HistoryEvent) => boolean): HistoryEvent {
  for (let i = events.length - 1; i >= 0; i--) if (test(events[i])) return events[i];
  throw new Error('bench: an event the hop needs is missing');
}

/** Rows of the medians of each part, ptq's next to the bare chain of children's. */
export function hopPartRows(ptq: HopParts[], bare: HopParts[]): Rows {
  const labels: Record<keyof HopParts, string> = {
    childClose: "child's last activity done -> child closed",
    parentTurn: 'child closed -> parent starts the next child',
    parentTask: "  of which the parent's workflow task",
    childStart: 'parent starts the child -> child started',
    childFirst: "child started -> its activity scheduled (child's first workflow task)",
    childFirstTask: '  of which that workflow task',
    activityStart: 'activity scheduled -> started',
  };
  return (Object.keys(labels) as Array<keyof HopParts>).map((k) => {
    const a = partMedian(ptq, k);
    const b = partMedian(bare, k);
    return [
      `hop part, child chain, p50: ${labels[k]} (ms)`,
      a.toFixed(1),
      b.toFixed(1),
      (a / Math.max(b, 1e-9)).toFixed(2),
      '',
    ];
  });
}

/** The median of one part over hops. */
export function partMedian(hops: HopParts[], part: keyof HopParts): number {
  const s = hops.map((p) => p[part]).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}
