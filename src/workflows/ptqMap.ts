import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  ContinueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BuiltinActivities, OpenedItems } from '../activities';
import { failureOf } from '../core/failures';
import { assertMaxParallel, assertUnshardedParallel } from '../core/plan/limits';
import { MapMachine, type ItemResult, type MapState } from '../core/schedule/map';
import { isSharded, type ItemEnd } from '../core/schedule/shards';
import { wideItemHeartbeatMs } from '../core/schedule/heartbeats';
import { mapMarkdown } from '../core/report/progress';
import type { MapSpec, Plan, Task, Usage } from '../core/plan/plan';
import type { TemplateContext } from '../core/plan/template';
import { sumUsage } from '../core/report/usage';
import { mergeLimitUses, type LimitUses } from '../core/report/limitUse';
import { mapProgressQuery, pauseSignal, resumeSignal, runConcurrencySignal, setMaxParallelUpdate } from '../shared';
import type { TaskFailedDetails } from './failure';
import { itemResult, runBatch, runItem, type ItemSetting, type MapItem } from './mapItems';
import { ShardPool, shardSize } from './mapShards';
import type { TaskResult } from './ptqTask';
import { askModelWithTools, itemsNeedTools, openItemsWithTools } from './mapTools';
import { stopLocally } from './stopLocally';
import { MapLimitWaits } from './limitWaits';

/** Input of a map task's workflow. */
export interface RunMapInput {
  task: Task & { map: MapSpec };
  defaults: Plan['defaults'];
  /** Template values for the steps; each item adds `item` and `index`. */
  context: TemplateContext;
  /** Template values for the item source, kept apart: they are not copied into every item. */
  sourceContext?: TemplateContext;
  /** JSON cap of each item's output (task `"output": "json"`). */
  itemJsonLimit?: number;
  /** Most bytes of results handed to dependents as `{{tasks.ID.json}}`. */
  jsonLimit: number;
  /** The run's M when the map started. */
  runCap: number;
  /** Continue as new after starting this many items in one run (tests force the boundary). */
  continueAsNewAfter?: number;
  /** Activities per shard, if not Temporal's advised 500 (tests force small shards). */
  shardSize?: number;
  /** Set by continue-as-new. */
  resume?: { state: MapState; opened: OpenedItems; batches: number; usage?: Usage; limits?: LimitUses };
}

/** Items read per page; a page is also capped at 256 KB by the activity. */
const PAGE_ITEMS = 500;
/** Results are written to their file in batches of about this many. */
const BATCH_ITEMS = 500;
const BATCH_CHARS = 512 * 1024;
const DETAILS_EVERY_MS = 1_000;

const mapActivities = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * A map task: the task's steps once per item, each item's steps as activities of this workflow.
 * Items start in order, at most min(maxParallel, M) at once; `until`/`while` and the failure
 * tolerance are checked on every completion (core/schedule/map.ts decides). Results go to a JSONL file in
 * batches, and the workflow continues as new when its history grows, so 100,000 items are fine.
 */
export async function ptqMap(input: RunMapInput): Promise<TaskResult> {
  const source = input.task.map.items;
  const mapId = workflowInfo().workflowId;
  const opened =
    input.resume?.opened ??
    (itemsNeedTools(source)
      ? await openItemsWithTools(source.llm, mapId, input.sourceContext, input.task.id)
      : await mapActivities.openItems({ mapId, source, context: input.sourceContext }));
  // Wide maps run their items in shard workflows; `patched` keeps maps recorded before that in one.
  // A map with `maxParallel: auto` stays in one workflow: its controller moves one limit.
  const spec = input.task.map;
  const sharded =
    spec.maxParallel !== 'auto' &&
    isSharded(spec.maxParallel, spec.batch ?? 1, input.shardSize) &&
    patched('map-shards');
  const run = new MapRun(input, opened, sharded);
  run.registerHandlers();
  return run.execute();
}

class MapRun {
  private readonly machine: MapMachine;
  private readonly scopes = new Map<number, CancellationScope>();
  private readonly itemTask: Task;
  /** Items per activity; maps started before batches have none. */
  private readonly batchSize: number;
  /** Set when the items run in shard workflows (core/schedule/shards.ts) instead of in this one. */
  private readonly shards: ShardPool | undefined;
  private inbox: ItemEnd[] = [];
  private buffer: ItemResult[] = [];
  private bufferChars = 0;
  private batches: number;
  private usage: Usage | undefined;
  private limits: LimitUses | undefined;
  private page = { from: 0, items: [] as unknown[] };
  /** The page after `page`, read ahead while the current one is used (undefined if that read failed). */
  private nextPage: { from: number; items: Promise<unknown[] | undefined> } | undefined;
  /** Result batches being written; the map waits for them before it ends or continues as new. */
  private writes: Array<Promise<void>> = [];
  private wake = false;
  private draining = false;
  private startedThisRun = 0;
  private lastDetails = 0;
  private readonly limitWaits: MapLimitWaits;

  constructor(
    private readonly input: RunMapInput,
    private readonly opened: OpenedItems,
    sharded: boolean,
  ) {
    const spec = input.task.map;
    this.machine = input.resume
      ? MapMachine.restore(spec, input.resume.state)
      : MapMachine.create(spec, opened.total, input.runCap, true);
    this.batches = input.resume?.batches ?? 0;
    this.usage = input.resume ? input.resume.usage : opened.usage;
    this.limits = input.resume?.limits;
    this.itemTask = { ...input.task, map: undefined };
    this.batchSize = input.task.map.batch ?? 1;
    this.limitWaits = new MapLimitWaits(input.task.rateLimit);
    const setting = this.itemSetting();
    const base = {
      mapId: workflowInfo().workflowId,
      setting: sharded ? wideSetting(setting, input, opened.total) : setting,
      batchSize: this.batchSize,
      continueAsNewAfter: input.continueAsNewAfter,
    };
    const onEnds = (ends: ItemEnd[]) => this.inbox.push(...ends);
    this.shards = sharded ? new ShardPool(base, onEnds, input.shardSize ?? shardSize()) : undefined;
  }

  registerHandlers(): void {
    const poke = (change: () => void) => {
      change();
      this.wake = true;
    };
    setHandler(mapProgressQuery, () => this.machine.progress());
    setHandler(pauseSignal, () => poke(() => this.machine.setPaused(true)));
    setHandler(resumeSignal, () => poke(() => this.machine.setPaused(false)));
    setHandler(runConcurrencySignal, (n) => poke(() => this.machine.setRunCap(n)));
    setHandler(
      setMaxParallelUpdate,
      (n) => {
        poke(() => this.machine.setMaxParallel(n));
        return n;
      },
      { validator: this.shards ? assertMaxParallel : assertUnshardedParallel },
    );
    this.shards?.registerHandlers();
  }

  async execute(): Promise<TaskResult> {
    let cancelled = false;
    let broken: unknown;
    try {
      await this.loop();
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err;
      // A cancel, or the map's own failure (its spool unreadable): either way, running items stop.
      cancelled = isCancellation(err);
      broken = cancelled ? undefined : err;
      this.machine.halt(cancelled ? 'map cancelled' : 'map failed');
      // Shards run in scopes a cancel does not reach (see mapShards.ts): they are told to stop.
      if (!cancelled || this.shards) this.cancelRunning();
    }
    // Whatever happened, the results of every item that ran reach the file.
    return CancellationScope.nonCancellable(async () => {
      await this.settle();
      await this.shards?.close();
      this.flush(true);
      await this.writesDone();
      const finished = await mapActivities.finishResults({
        dir: this.opened.dir,
        batches: this.batches,
        jsonLimit: this.input.jsonLimit,
        total: this.machine.state.total,
      });
      await condition(allHandlersFinished);
      this.publish(true);
      if (broken !== undefined) throw broken;
      const output = this.machine.summary();
      const stop = this.machine.state.stop;
      if (cancelled) throw new CancelledFailure(output.split('\n')[0]);
      // The counts and the reason of an early stop, for the run summary and its text views.
      const items = {
        items: this.machine.items(),
        ...(stop ? { stop: stop.reason } : {}),
        ...(this.limits ? { limits: this.limits } : {}),
      };
      if (stop?.failed) {
        const details: TaskFailedDetails = { attempts: 1, output, results: finished.path, ...items };
        throw ApplicationFailure.create({ ...failureOf('TaskFailed', output.split('\n')[0]), details: [details] });
      }
      return { attempts: 1, output, json: finished.json, results: finished.path, usage: this.usage, ...items };
    });
  }

  private async loop(): Promise<void> {
    const m = this.machine;
    while (!m.isDone()) {
      await this.startReady();
      this.shards?.flush();
      if (this.draining && m.state.counts.running === 0) await this.continueAsNew();
      this.flush(false);
      if (m.isDone()) break;
      await condition(() => this.inbox.length > 0 || this.wake);
      this.wake = false;
      this.takeInbox();
      if (this.machine.modelCheckDue()) await this.askModel();
      const looking = this.limitWaits.look(workflowInfo().workflowId, m.state.counts.running, Date.now());
      if (looking) await looking;
      this.publish(false);
    }
  }

  /** `until: {llm}`: the model's "yes" stops the map like a true `until`. */
  private async askModel(): Promise<void> {
    const until = this.input.task.map.until;
    if (until === undefined || typeof until === 'string') return;
    const p = this.machine.progress();
    const check = {
      prompt: until.llm.prompt,
      model: until.llm.model,
      counts: { done: p.done, total: p.total, succeeded: p.succeeded, failed: p.failed },
      latest: this.machine.latest(50),
    };
    const verdict = until.llm.tools
      ? await askModelWithTools(until.llm, check, this.input.task.id)
      : await mapActivities.askModelToStop(check);
    this.usage = sumUsage(this.usage, verdict.usage);
    if (!verdict.stop) return;
    const stop = this.machine.halt(`until (model) said stop ${this.machine.when()}`, false);
    if (stop && this.input.task.map.onStop === 'cancel') this.cancelRunning();
  }

  private cancelRunning(): void {
    if (this.shards) return this.shards.stop();
    for (const scope of this.scopes.values()) scope.cancel();
    if (this.scopes.size > 0) stopLocally({ workflowId: workflowInfo().workflowId }, true);
  }

  private async startReady(): Promise<void> {
    if (this.draining) return;
    const size = this.batchSize;
    for (let index = this.nextIndex(); index !== undefined; index = this.nextIndex()) {
      const unit = [{ index, item: await this.itemAt(index) }];
      for (let more = unit.length < size ? this.machine.next() : undefined; more !== undefined;) {
        unit.push({ index: more, item: await this.itemAt(more) });
        more = unit.length < size ? this.machine.next() : undefined;
      }
      this.launch(unit);
      this.startedThisRun += unit.length;
      const limit = this.input.continueAsNewAfter;
      this.draining = workflowInfo().continueAsNewSuggested || (limit !== undefined && this.startedThisRun >= limit);
      if (this.draining) return;
    }
  }

  /** The next item to start, if the map (and with shards, a shard) has room for it. */
  private nextIndex(): number | undefined {
    if (this.shards && !this.shards.hasRoom(this.machine.progress().maxParallel)) return undefined;
    return this.machine.next();
  }

  /**
   * The item at `index`. Pages of the spool are read ahead: once half of a page has started, the
   * next one is requested, so starting items rarely waits for a read.
   */
  private async itemAt(index: number): Promise<unknown> {
    const { from, items } = this.page;
    if (index < from || index >= from + items.length) {
      const ahead = this.nextPage?.from === index ? await this.nextPage.items : undefined;
      this.nextPage = undefined;
      const page = ahead ?? (await this.readPage(index));
      if (page.length === 0)
        throw ApplicationFailure.create(failureOf('TaskFailed', `item ${index} is missing from the spool`));
      this.page = { from: index, items: page };
    }
    const end = this.page.from + this.page.items.length;
    if (!this.nextPage && index - this.page.from >= this.page.items.length / 2 && end < this.machine.state.total)
      this.nextPage = { from: end, items: this.readPage(end).catch(() => undefined) };
    return this.page.items[index - this.page.from];
  }

  private readPage(from: number): Promise<unknown[]> {
    return mapActivities.readItems({ dir: this.opened.dir, from, max: PAGE_ITEMS });
  }

  private itemSetting(): ItemSetting {
    const input = this.input;
    return { task: this.itemTask, defaults: input.defaults, context: input.context, jsonLimit: input.itemJsonLimit };
  }

  /** Starts one item, or a batch of them: in its own cancellation scope, or in a shard. */
  private launch(unit: MapItem[]): void {
    if (this.shards) return this.shards.grant(unit, this.machine.progress().maxParallel);
    const scope = new CancellationScope();
    for (const { index } of unit) this.scopes.set(index, scope);
    const setting = this.itemSetting();
    void scope
      .run(() => (unit.length === 1 && this.batchSize === 1 ? runItem(setting, unit[0]) : runBatch(setting, unit)))
      .then((ends) => {
        for (const d of ends) {
          this.scopes.delete(d.index);
          const limits = d.ok ? d.result.limits : undefined;
          this.inbox.push({ result: itemResult(d, Date.now()), usage: d.ok ? d.result.usage : undefined, limits });
        }
      });
  }

  private takeInbox(): void {
    const m = this.machine;
    const now = Date.now();
    for (const { result, usage, limits } of this.inbox.splice(0)) {
      if (usage) this.usage = sumUsage(this.usage, usage);
      if (limits) this.limits = mergeLimitUses(this.limits, limits);
      const stop = m.record(result, this.input.context.params, now);
      this.buffer.push(result);
      this.bufferChars += JSON.stringify(result).length;
      if (stop && (stop.failed || this.input.task.map.onStop === 'cancel')) this.cancelRunning();
    }
  }

  /** Waits for every running item to report back (after a stop or a cancel). */
  private async settle(): Promise<void> {
    while (this.machine.state.counts.running > 0) {
      await condition(() => this.inbox.length > 0);
      this.takeInbox();
    }
  }

  /** Writes buffered results as the next batch, when there are enough of them (or `force`). */
  /**
   * Writes buffered results as the next batch when there are enough of them (or `force`), in the
   * background; `writesDone` waits for every batch. A batch's number and content are fixed here.
   */
  private flush(force: boolean): void {
    if (this.buffer.length === 0) return;
    if (!force && this.buffer.length < BATCH_ITEMS && this.bufferChars < BATCH_CHARS) return;
    const results = this.buffer.splice(0);
    this.bufferChars = 0;
    const batch = { dir: this.opened.dir, seq: this.batches++, results };
    // Not cancellable: a cancel of the map must not lose results that already left the buffer.
    const write = CancellationScope.nonCancellable(() => mapActivities.writeResults(batch));
    write.catch(() => undefined); // handled in writesDone; a failure must not be an unhandled rejection
    this.writes.push(write);
  }

  private async writesDone(): Promise<void> {
    await Promise.all(this.writes.splice(0));
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    await this.shards?.close();
    this.flush(true);
    await this.writesDone();
    const resume = {
      state: this.machine.state,
      opened: this.opened,
      batches: this.batches,
      usage: this.usage,
      ...(this.limits ? { limits: this.limits } : {}),
    };
    return continueAsNew<typeof ptqMap>({ ...this.input, resume });
  }

  /** The map's bar in the Web UI, rate-limited. */
  private publish(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDetails < DETAILS_EVERY_MS) return;
    this.lastDetails = now;
    setCurrentDetails(mapMarkdown(this.machine.progress(), this.limitWaits.lines));
  }
}

/**
 * A sharded map's item setting: a heartbeat timeout for the activities it can hold in flight (its
 * limit, the run's M and its item count bound them), unless the plan sets one.
 */
function wideSetting(setting: ItemSetting, input: RunMapInput, total: number): ItemSetting {
  if (setting.task.heartbeatTimeout !== undefined || setting.defaults.heartbeatTimeout !== undefined) return setting;
  const { maxParallel, batch = 1 } = input.task.map;
  const items = Math.min(maxParallel === 'auto' ? total : maxParallel, input.runCap, total);
  const heartbeatTimeout = wideItemHeartbeatMs(Math.ceil(items / batch));
  return { ...setting, defaults: { ...setting.defaults, heartbeatTimeout } };
}
