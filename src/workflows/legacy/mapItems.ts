/*
 * FROZEN: a copy of the workflow code of ptq 0.1 before its workflow types were renamed, with its
 * patched() calls. Runs recorded on the old types (runPlan, runTask, runMap) replay on this code:
 * in-flight runs and test/fixtures/histories v1-v8. Never edit it, except import paths; a change
 * belongs in the live types (../ptqRun and its parts). See README, Layout: replay.
 */
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../../activities';
import { ITEM_OUTPUT_CHARS, type ItemResult } from '../../core/schedule/map';
import type { Plan, Task } from '../../core/plan/plan';
import { stepsOf } from './frozenSteps';
import type { TemplateContext } from '../../core/plan/template';
import { failureOutcome } from '../failure';
import { activityOptions, runTask, type TaskResult } from './runTask';

/** How the items of a map run: one at a time through `runTask`, or several in one batch activity. */

/** An item as the map reads it from its spool. */
export interface MapItem {
  index: number;
  item: unknown;
}

/** One item's end, as the map's inbox receives it. */
export type ItemDone = MapItem & { startedAt: number } & (
    { ok: true; result: TaskResult } | { ok: false; error: unknown }
  );

/** What every item of one map shares. */
export interface ItemSetting {
  /** The map's task without its `map` (the steps, their retries and timeouts). */
  task: Task;
  defaults: Plan['defaults'];
  context: TemplateContext;
  jsonLimit?: number;
}

/** Runs one item's steps as activities of the map, with the task's retries; never rejects. */
export function runItem(s: ItemSetting, { index, item }: MapItem): Promise<ItemDone[]> {
  const startedAt = Date.now();
  const input = { task: s.task, defaults: s.defaults, context: { ...s.context, item, index }, jsonLimit: s.jsonLimit };
  // A `.then`, not `await`: every promise costs the map's workflow task a stack trace (see runTask).
  return runTask(input, `${s.task.title ?? s.task.id} [${index}]`).then(
    (result): ItemDone[] => [{ index, item, startedAt, ok: true, result }],
    (error: unknown): ItemDone[] => [{ index, item, startedAt, ok: false, error }],
  );
}

/** `batch > 1`: several items' steps in one activity; each item still reports on its own. Never rejects. */
export async function runBatch(s: ItemSetting, unit: MapItem[]): Promise<ItemDone[]> {
  const startedAt = Date.now();
  const steps = stepsOf(s.task);
  const options = activityOptions(s.task, s.defaults, steps[0]);
  const { runItemBatch } = proxyActivities<BuiltinActivities>({
    ...options,
    startToCloseTimeout: Number(options.startToCloseTimeout) * unit.length,
    summary: `${s.task.title ?? s.task.id} [${unit[0].index}..${unit[unit.length - 1].index}]`,
  });
  try {
    const results = await runItemBatch({ steps, items: unit, context: s.context, jsonLimit: s.jsonLimit });
    return results.map((r, k): ItemDone => {
      const base = { index: r.index, item: unit[k].item, startedAt };
      if (!r.ok) return { ...base, ok: false, error: new Error(r.error) };
      return { ...base, ok: true, result: { attempts: 1, output: r.output, json: r.json, usage: r.usage } };
    });
  } catch (error) {
    return unit.map(({ index, item }) => ({ index, item, startedAt, ok: false, error }));
  }
}

/** An item's end as a result record. */
export function itemResult(d: ItemDone, endedAt: number): ItemResult {
  const base = { index: d.index, item: d.item, durationMs: endedAt - d.startedAt };
  if (d.ok) {
    const r = d.result;
    const output = r.output.slice(-ITEM_OUTPUT_CHARS);
    return { ...base, ok: true, output, json: r.json ?? null, attempts: r.attempts };
  }
  if (isCancellation(d.error)) return { ...base, ok: false, output: '', json: null, attempts: 1, cancelled: true };
  const f = failureOutcome(d.error);
  const output = (f.output ?? '').slice(-ITEM_OUTPUT_CHARS);
  return { ...base, ok: false, output, json: null, error: f.error, attempts: f.attempts ?? 1 };
}
