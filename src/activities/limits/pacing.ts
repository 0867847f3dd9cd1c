import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Pacer } from '../../core/schedule/pacer';
import type { LimitDefinition } from '../../temporal/limits';

/**
 * One worker's pacing of the steps it starts under each limit (see core/schedule/pacer.ts for
 * why): the limit's rate with its `burst` (default 1: evenly spaced), and each fairness key at the
 * limit's `perKey` rate. The server still holds the rate across workers; this only smooths the
 * server's one-second burst, so a step waits here at most about a second. An adaptive limit is
 * paced at its ceiling: its server rate moves below it.
 */
export class LimitPacing {
  private definitions: Record<string, LimitDefinition> = {};
  private readonly pacers = new Map<string, Pacer>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes the limits as read now, and forgets idle pacers: a `rateKey` is often an item's field, so
   * a long-lived worker would otherwise keep one per key it ever saw. An idle pacer is the same as
   * a new one, so forgetting it changes nothing.
   */
  update(definitions: Record<string, LimitDefinition>): void {
    this.definitions = definitions;
    const now = this.now();
    for (const [id, pacer] of this.pacers) if (pacer.idleAt(now)) this.pacers.delete(id);
  }

  /** How long a step under `name` (with fairness key `key`) waits before it starts, in ms. */
  book(name: string, key: string | undefined): number {
    const limit = this.definitions[name];
    if (!limit) return 0;
    const now = this.now();
    const wait = this.pacer(name).book(now, limit.rate, limit.burst);
    if (key === undefined || limit.perKey === undefined) return wait;
    return Math.max(wait, this.pacer(`${name}\u0000${key}`).book(now, limit.perKey, limit.burst));
  }

  private pacer(id: string): Pacer {
    let pacer = this.pacers.get(id);
    if (!pacer) this.pacers.set(id, (pacer = new Pacer()));
    return pacer;
  }
}

/** The interceptor of a limit's worker that waits out the step's pacing before running it. */
export function pacingInterceptor(name: string, pacing: LimitPacing): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        const context = Context.current();
        const wait = pacing.book(name, context.info.priority?.fairnessKey);
        // A cancel during the wait ends it (sleep rejects), before the step has done anything.
        if (wait > 0) await context.sleep(wait);
        return next(input);
      },
    },
  });
}
