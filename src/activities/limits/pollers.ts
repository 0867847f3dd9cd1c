import type { ActivityInterceptorsFactory, Worker } from '@temporalio/worker';
import { limitTaskQueue } from '../../core/plan/rates';
import type { LimitStore } from '../../temporal/limits';
import { AdaptiveLimits, adaptiveInterceptor } from './adaptive';
import { LimitPacing, pacingInterceptor } from './pacing';
import { limitStartInterceptor } from './started';

/** How often a worker looks for limits created or deleted since (a describeNamespace call). */
export const LIMITS_REFRESH_MS = 1_000;

/** Builds an activity-only worker for a limit's queue, with the given extra interceptors (outermost first). */
export type LimitWorkerFactory = (taskQueue: string, interceptors: ActivityInterceptorsFactory[]) => Promise<Worker>;

interface Poller {
  worker: Worker;
  done: Promise<void>;
}

/**
 * The workers of one process that poll the limits' queues: one activity-only worker per limit
 * (a Temporal worker polls one task queue), started when the limit appears in the namespace and
 * shut down when it is deleted. They run the same activities as the main worker, so any worker
 * can run any step, limited or not. Every refresh also lets adaptive limits probe upwards. Each
 * limit's worker paces the steps it starts (pacing.ts), tells the workflow how long each waited
 * (started.ts), and tells the adaptive controller how they went.
 */
export class LimitPollers {
  private readonly pollers = new Map<string, Poller>();
  readonly adaptive: AdaptiveLimits;
  private readonly pacing = new LimitPacing();

  constructor(
    private readonly store: LimitStore,
    private readonly create: LimitWorkerFactory,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.adaptive = new AdaptiveLimits(store);
  }

  /** Polls every limit until `stopped` settles, then shuts the limit workers down and waits for them. */
  async runUntil(stopped: Promise<unknown>): Promise<void> {
    let stop = false;
    void stopped.finally(() => (stop = true));
    while (!stop) {
      await this.refresh().catch((err: Error) => this.log(`rate limits: ${err.message}`));
      await Promise.race([new Promise((r) => setTimeout(r, LIMITS_REFRESH_MS)), stopped.catch(() => undefined)]);
    }
    for (const name of [...this.pollers.keys()]) this.stop(name);
    await Promise.all([...this.pollers.values()].map((p) => p.done));
  }

  /** Starts workers for new limits, stops those of deleted ones, and probes adaptive ones. */
  async refresh(): Promise<void> {
    const definitions = await this.store.definitions();
    this.adaptive.update(definitions);
    this.pacing.update(definitions);
    for (const name of Object.keys(definitions)) {
      if (this.pollers.has(name)) continue;
      const worker = await this.create(limitTaskQueue(name), [
        pacingInterceptor(name, this.pacing),
        limitStartInterceptor,
        adaptiveInterceptor(name, this.adaptive),
      ]);
      const done = worker.run().catch((err: Error) => this.log(`rate limit "${name}": worker stopped: ${err.message}`));
      this.pollers.set(name, { worker, done: done.finally(() => this.pollers.delete(name)) });
    }
    for (const name of this.pollers.keys()) if (!Object.hasOwn(definitions, name)) this.stop(name);
    await this.adaptive.probe();
  }

  private stop(name: string): void {
    const poller = this.pollers.get(name);
    if (poller?.worker.getState() === 'RUNNING') poller.worker.shutdown();
  }
}
