import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ItemEnd } from '../core/schedule/shards';
import { shardCloseSignal, shardEndsSignal, shardGrantSignal, shardStopSignal } from '../shared';
import { itemResult, runBatch, runItem, type ItemSetting, type MapItem } from './mapItems';
import { stopLocally } from './stopLocally';

/** Input of one shard of a wide map (core/schedule/shards.ts). */
export interface MapShardInput {
  /** The map's workflow id: the shard reports its items' ends there. */
  mapId: string;
  shard: number;
  setting: ItemSetting;
  /** Items per activity (the map's `batch`). */
  batchSize: number;
  /** Continue as new after starting this many items in one run (tests force the boundary). */
  continueAsNewAfter?: number;
  /** Units to run: the map's first grant, or what the previous generation had not started yet. */
  queue: MapItem[][];
  /** Set by continue-as-new. */
  closed?: boolean;
  stopped?: boolean;
}

/** Most characters of ends in one signal to the map, well under Temporal's 2 MB payload limit. */
const ENDS_CHARS = 256 * 1024;

/**
 * A shard of a wide map: runs the items the map hands it, each item's steps as activities of this
 * workflow, and reports every end back by signal. It decides nothing: the map keeps the counts,
 * `until`/`while` and the results file. One signal to the map is in flight at a time, and the ends
 * that arrive meanwhile go in the next one, so the map gets fewer signals the busier it is. The
 * shard continues as new when its history grows, once its running items have ended.
 */
export async function ptqMapShard(input: MapShardInput): Promise<void> {
  const shard = new MapShard(input);
  shard.registerHandlers();
  await shard.execute();
}

class MapShard {
  private readonly queue: MapItem[][];
  private readonly scopes = new Set<CancellationScope>();
  private readonly map: ReturnType<typeof getExternalWorkflowHandle>;
  private ends: ItemEnd[] = [];
  private sending = false;
  private broken: unknown;
  private closed: boolean;
  private stopped: boolean;
  private wake = false;
  private draining = false;
  private startedThisRun = 0;

  constructor(private readonly input: MapShardInput) {
    this.queue = [...input.queue];
    this.closed = input.closed ?? false;
    this.stopped = input.stopped ?? false;
    this.map = getExternalWorkflowHandle(input.mapId);
  }

  registerHandlers(): void {
    setHandler(shardGrantSignal, (units) => {
      if (this.stopped) this.ends.push(...units.flatMap(notStarted));
      else this.queue.push(...units);
      this.wake = true;
    });
    setHandler(shardStopSignal, () => this.stop());
    setHandler(shardCloseSignal, () => {
      this.closed = true;
      this.wake = true;
    });
  }

  async execute(): Promise<void> {
    try {
      await this.loop();
    } catch (err) {
      if (!isCancellation(err)) throw err;
      // The map's own cancel reaches its shards by signal; this is a cancel of the shard itself.
      this.stop();
      await CancellationScope.nonCancellable(() => this.settle());
    }
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.startQueued();
      this.send();
      const quiet = this.scopes.size === 0 && this.ends.length === 0 && !this.sending;
      if (quiet && this.closed && this.queue.length === 0) return;
      if (quiet && this.draining) await this.continueAsNew();
      await this.nextWake();
    }
  }

  /** After a stop: waits for every running item to end and for every end to reach the map. */
  private async settle(): Promise<void> {
    for (;;) {
      this.send();
      if (this.scopes.size === 0 && this.ends.length === 0 && !this.sending) return;
      await this.nextWake();
    }
  }

  private async nextWake(): Promise<void> {
    await condition(() => this.wake);
    this.wake = false;
    if (this.broken !== undefined) throw this.broken;
  }

  private startQueued(): void {
    const limit = this.input.continueAsNewAfter;
    while (!this.draining && !this.stopped && this.queue.length > 0) {
      const unit = this.queue.shift() as MapItem[];
      this.launch(unit);
      this.startedThisRun += unit.length;
      this.draining = workflowInfo().continueAsNewSuggested || (limit !== undefined && this.startedThisRun >= limit);
    }
  }

  /** Starts one unit (an item, or a batch of them) in its own cancellation scope. */
  private launch(unit: MapItem[]): void {
    const scope = new CancellationScope();
    this.scopes.add(scope);
    const setting = this.input.setting;
    void scope
      .run(() =>
        unit.length === 1 && this.input.batchSize === 1 ? runItem(setting, unit[0]) : runBatch(setting, unit),
      )
      .then((dones) => {
        this.scopes.delete(scope);
        for (const d of dones)
          this.ends.push({
            result: itemResult(d, Date.now()),
            ...(d.ok && d.result.usage ? { usage: d.result.usage } : {}),
            ...(d.ok && d.result.limits ? { limits: d.result.limits } : {}),
          });
        this.wake = true;
      });
  }

  /**
   * Sends the ends gathered so far in one signal, unless one is in flight. Not cancellable: an end
   * that left the buffer must reach the map, or the map would wait for that item forever.
   */
  private send(): void {
    if (this.sending || this.ends.length === 0) return;
    let count = 0;
    for (let chars = 0; count < this.ends.length && (count === 0 || chars < ENDS_CHARS); count++)
      chars += JSON.stringify(this.ends[count]).length;
    const ends = this.ends.splice(0, count);
    this.sending = true;
    void CancellationScope.nonCancellable(() =>
      this.map.signal(shardEndsSignal, { shard: this.input.shard, ends }),
    ).then(
      () => {
        this.sending = false;
        this.wake = true;
      },
      (err: unknown) => {
        this.broken = err;
        this.sending = false;
        this.wake = true;
      },
    );
  }

  /** Stops the running items (the map said so, or the shard was cancelled); queued ones never start. */
  private stop(): void {
    this.stopped = true;
    this.ends.push(...this.queue.splice(0).flatMap(notStarted));
    for (const scope of this.scopes) scope.cancel();
    if (this.scopes.size > 0) stopLocally({ workflowId: workflowInfo().workflowId }, true);
    this.wake = true;
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    const { closed, stopped } = this;
    return continueAsNew<typeof ptqMapShard>({ ...this.input, queue: this.queue, closed, stopped });
  }
}

/** The ends of a unit that was handed out but stopped before it started: cancelled, as the map counts them. */
function notStarted(unit: MapItem[]): ItemEnd[] {
  return unit.map(({ index, item }) => ({
    result: { index, item, ok: false, output: '', json: null, attempts: 0, durationMs: 0, cancelled: true },
  }));
}
