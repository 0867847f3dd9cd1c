import { totalmem } from 'node:os';
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit, WorkerTuner } from '@temporalio/worker';

/**
 * How many steps a worker runs at once when no fixed count is given: as many as its memory allows.
 * Most steps wait on I/O (http, llm, agents waiting for a model), so a worker holds thousands of
 * them: a 3,000-wide map needs that many slots across its workers.
 *
 * The SDK's resource-based supplier also bounds slots by CPU, with a PID controller on the whole
 * machine's CPU use. That is the wrong signal here: waiting steps use no CPU, and on a busy shared
 * machine it held a worker at its minimum (200 slots at a load of 28 on 2 cores, measured with
 * test/shards.test.ts), so this supplier looks at memory alone.
 */

/** Never fewer slots than the fixed count of earlier releases. */
export const MIN_STEP_SLOTS = 200;
/** At most a map's most items in flight. */
export const MAX_STEP_SLOTS = 10_000;
/** No slot above the minimum while less than this share of the machine's memory is available. */
const MIN_AVAILABLE = 0.2;
/** Memory is read at most this often. */
const SAMPLE_MS = 100;

/** Activity slots: up to MAX_STEP_SLOTS while memory lasts. */
export class MemorySlots implements CustomSlotSupplier<ActivitySlotInfo> {
  readonly type = 'custom' as const;
  private used = 0;
  private waiting: Array<() => void> = [];
  private sampledAt = 0;
  private roomy = true;

  constructor(
    private readonly min = MIN_STEP_SLOTS,
    private readonly max = MAX_STEP_SLOTS,
    private readonly available: () => number = availableShare,
  ) {}

  async reserveSlot(_ctx: unknown, abortSignal: AbortSignal): Promise<SlotPermit> {
    while (!this.take()) await this.nextChance(abortSignal);
    return {};
  }

  /** Until a slot is released or memory is read again; rejects with an AbortError when the SDK gives up. */
  private nextChance(abortSignal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(retry);
        abortSignal.removeEventListener('abort', abort);
        this.waiting = this.waiting.filter((w) => w !== done);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const abort = () => {
        cleanup();
        const error = new Error('slot reservation aborted');
        error.name = 'AbortError';
        reject(error);
      };
      const retry = setTimeout(done, SAMPLE_MS);
      this.waiting.push(done);
      if (abortSignal.aborted) abort();
      else abortSignal.addEventListener('abort', abort, { once: true });
    });
  }

  tryReserveSlot(): SlotPermit | null {
    return this.take() ? {} : null;
  }

  markSlotUsed(): void {}

  releaseSlot(): void {
    this.used--;
    this.waiting.shift()?.();
  }

  /** Takes a slot if the count and the memory allow one. */
  private take(): boolean {
    if (this.used >= this.max || (this.used >= this.min && !this.memoryLeft())) return false;
    this.used++;
    return true;
  }

  private memoryLeft(): boolean {
    const now = Date.now();
    if (now - this.sampledAt >= SAMPLE_MS) {
      this.sampledAt = now;
      this.roomy = this.available() >= MIN_AVAILABLE;
    }
    return this.roomy;
  }
}

/** Share of memory still available to this process: the machine's, or its cgroup's when it has a limit. */
function availableShare(): number {
  const limit = process.constrainedMemory();
  const total = limit && limit < totalmem() ? limit : totalmem();
  return process.availableMemory() / total;
}

/** The worker's slots when no fixed activity count is given; workflow tasks and local activities keep the SDK's fixed defaults. */
export function stepSlots(): WorkerTuner {
  return {
    workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 40 },
    activityTaskSlotSupplier: new MemorySlots(),
    localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
    nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
  };
}
