import { CancellationScope, patched, setHandler, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';
import { pickShard, SHARD_ACTIVITIES, SHARD_SIZE, shardShares, type ItemEnd } from '../core/schedule/shards';
import { shardCloseSignal, shardEndsSignal, shardGrantSignal, shardStopSignal } from '../shared';
import type { MapItem } from './mapItems';
import { ptqMapShard, type MapShardInput } from './ptqMapShard';

/** Activities per shard of a map that shards: SHARD_SIZE, or the ceiling for maps recorded before it. */
export function shardSize(): number {
  return patched('small-shards') ? SHARD_SIZE : SHARD_ACTIVITIES;
}

/** What every shard of one map shares. */
export type ShardBase = Omit<MapShardInput, 'shard' | 'queue'>;

/**
 * The map's side of its shards (core/schedule/shards.ts decides the split): which shard runs which
 * item, what each holds, and the ends they report. Shards start when they first get items. Every
 * message to a shard is sent in a scope of its own that a cancel of the map does not reach: a
 * grant cancelled on its way would leave items that the map counts as running and no shard runs.
 * So the map's cancel reaches its shards as a stop signal (`stop`), and they report every item.
 */
export class ShardPool {
  /** Items each shard holds (handed out, not reported back). */
  private running: number[] = [];
  /** The items each shard holds, by index: if a shard itself fails, they fail with it. */
  private held: Array<Map<number, unknown>> = [];
  /** Each shard's messages in order: its start, then its signals. */
  private links: Array<Promise<void> | undefined> = [];
  private handles: Array<ChildWorkflowHandle<typeof ptqMapShard>> = [];
  private results: Array<Promise<void>> = [];
  /** Units handed out in this activation, sent by `flush` as one signal per shard. */
  private pending: MapItem[][][] = [];

  constructor(
    private readonly base: ShardBase,
    private readonly onEnds: (ends: ItemEnd[]) => void,
    /** Activities per shard: `shardSize()`, or fewer when a test forces it. */
    private readonly size?: number,
  ) {}

  registerHandlers(): void {
    setHandler(shardEndsSignal, ({ shard, ends }) => this.took(shard, ends));
  }

  /** Whether a shard has room under `cap` items in flight. */
  hasRoom(cap: number): boolean {
    return pickShard(this.running, shardShares(cap, this.base.batchSize, this.size)) !== undefined;
  }

  /** Hands a unit to the shard with the most room (check `hasRoom` first); `flush` sends it. */
  grant(unit: MapItem[], cap: number): void {
    const k = pickShard(this.running, shardShares(cap, this.base.batchSize, this.size)) ?? 0;
    this.running[k] = (this.running[k] ?? 0) + unit.length;
    const held = (this.held[k] ??= new Map());
    for (const { index, item } of unit) held.set(index, item);
    (this.pending[k] ??= []).push(unit);
  }

  /** Sends what `grant` handed out: a shard's start with its first items, or one signal per shard. */
  flush(): void {
    this.pending.forEach((units, k) => (this.links[k] ? this.signal(k, units) : this.start(k, units)));
    this.pending = [];
  }

  /** Stops every shard's running items. */
  stop(): void {
    for (let k = 0; k < this.links.length; k++) if (this.links[k]) this.chain(k, (h) => h.signal(shardStopSignal));
  }

  /** Once nothing runs: ends every shard and waits for them, before the map ends or continues as new. */
  async close(): Promise<void> {
    for (let k = 0; k < this.links.length; k++) if (this.links[k]) this.chain(k, (h) => h.signal(shardCloseSignal));
    await Promise.all(this.links.filter(Boolean));
    await Promise.all(this.results.filter(Boolean));
    this.running = [];
    this.held = [];
    this.links = [];
    this.handles = [];
    this.results = [];
  }

  private start(k: number, queue: MapItem[][]): void {
    const input: MapShardInput = { ...this.base, shard: k, queue };
    const title = this.base.setting.task.title ?? this.base.setting.task.id;
    this.links[k] = CancellationScope.nonCancellable(() =>
      startChild(ptqMapShard, {
        workflowId: `${this.base.mapId}/s${k}`,
        args: [input],
        staticSummary: `${title}: shard ${k}`,
      }),
    ).then(
      (handle) => {
        this.handles[k] = handle;
        this.results[k] = handle.result().then(
          () => this.lost(k, new Error('it ended before the map')),
          (err: unknown) => this.lost(k, err),
        );
      },
      (err: unknown) => this.lost(k, err),
    );
  }

  private signal(k: number, units: MapItem[][]): void {
    this.chain(k, (h) => h.signal(shardGrantSignal, units));
  }

  /** Sends a message to shard k after its earlier ones. */
  private chain(k: number, send: (h: ChildWorkflowHandle<typeof ptqMapShard>) => Promise<void>): void {
    this.links[k] = this.links[k]?.then(() => {
      const handle = this.handles[k];
      if (handle)
        return CancellationScope.nonCancellable(() => send(handle)).catch((err: unknown) => this.lost(k, err));
    });
  }

  private took(k: number, ends: ItemEnd[]): void {
    // Only items the shard still holds: an item failed with its lost shard is not counted twice.
    const fresh = ends.filter(({ result }) => this.held[k]?.delete(result.index));
    this.running[k] -= fresh.length;
    this.onEnds(fresh);
  }

  /**
   * A shard that ended (or could not start or be reached) while it still held items: those items
   * fail, so the map never waits for them. A shard that ends after `close` holds none.
   */
  private lost(k: number, err: unknown): void {
    const held = this.held[k];
    if (!held || held.size === 0) return;
    const why = `shard ${this.base.mapId}/s${k} ended: ${err instanceof Error ? err.message : String(err)}`;
    const ends = [...held].map(([index, item]) => ({
      result: { index, item, ok: false, output: '', json: null, error: why, attempts: 1, durationMs: 0 },
    }));
    held.clear();
    this.running[k] = 0;
    this.onEnds(ends);
  }
}
