import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Step, Usage } from '../../core';
import { ITEM_OUTPUT_CHARS } from '../../core/schedule/map';
import type { TemplateContext } from '../../core/plan/template';
import { sumUsage } from '../../core/report/usage';
import { heartbeatNow, type StepResult } from '../steps/stepResult';
import { runHttp } from '../steps/http';
import { runLlm } from '../steps/llm';
import { runShell } from '../steps/shell';
import type { StepOptions } from '../steps/stepOptions';

/** One item's outcome in a batch. */
export interface BatchItemResult {
  index: number;
  ok: boolean;
  output: string;
  json?: unknown;
  error?: string;
  usage?: Usage;
}

/**
 * `map.batch > 1`: runs the steps of several tiny items one after another in one activity, so a
 * no-op-sized item does not cost an activity of its own. An item whose step fails is recorded as
 * failed and the batch goes on; items are not retried one by one. If the worker dies, Temporal
 * retries the whole batch. A cancel stops the batch and cancels its items.
 */
export async function runItemBatch(input: {
  steps: Step[];
  items: Array<{ index: number; item: unknown }>;
  context: TemplateContext;
  jsonLimit?: number;
}): Promise<BatchItemResult[]> {
  const ctx = Context.current();
  const results: BatchItemResult[] = [];
  for (const { index, item } of input.items) {
    const template = { ...input.context, item, index };
    let result: BatchItemResult = { index, ok: true, output: '' };
    for (const [i, step] of input.steps.entries()) {
      // The batch's results are recorded in the map's history: its steps release their tail only.
      const jsonLimit = i === input.steps.length - 1 ? input.jsonLimit : undefined;
      const options: StepOptions = { template, jsonLimit, release: 'tail' };
      try {
        const r = await runBatchStep(step, options);
        result = {
          index,
          ok: true,
          output: r.output.slice(-ITEM_OUTPUT_CHARS),
          json: r.json,
          usage: sumUsage(result.usage, r.usage),
        };
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('batch cancelled');
        result = {
          index,
          ok: false,
          output: '',
          error: err instanceof Error ? err.message : String(err),
          usage: result.usage,
        };
        break;
      }
    }
    results.push(result);
    heartbeatNow();
  }
  return results;
}

function runBatchStep(step: Step, options: StepOptions): Promise<StepResult & { usage?: Usage }> {
  switch (step.type) {
    case 'shell':
      return runShell(step, options);
    case 'http':
      return runHttp(step, options);
    case 'llm':
      return runLlm(step, options);
    case 'browser':
    case 'sleep':
    case 'activity':
    case 'agent':
      throw new Error(`a batched map cannot run ${step.type} steps (ptq validate refuses them)`);
  }
}
