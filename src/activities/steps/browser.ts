import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { BrowserStep } from '../../core';
import { browse, BrowserFailure } from './browserPage';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './stepResult';
import { jsonOf, prepare, type StepOptions } from './stepOptions';

/**
 * Runs a browser step: one page in the worker's pool (browserPool.ts), read as browserPage.ts
 * says. Its output is the JSON of the fields, status, finalUrl and timings. A non-2xx page fails
 * as BrowserStatusError, retried for 5xx, 408 and 429 as an http step's status is. Heartbeats carry
 * the cancel that closes the page.
 */
export async function runBrowser(plainStep: BrowserStep, options?: StepOptions): Promise<StepResult> {
  const ctx = Context.current();
  const step = prepare(plainStep, options);
  const release = options?.release;
  const stopHeartbeats = keepHeartbeating();
  try {
    const output = await browse(step, ctx.cancellationSignal);
    const text = JSON.stringify(output, null, 2);
    if (output.status < 200 || output.status > 299) {
      const retryable = output.status >= 500 || output.status === 408 || output.status === 429;
      throw stepFailure(`${step.url} answered ${output.status}`, 'BrowserStatusError', text, { release, retryable });
    }
    return stepResult(text, jsonOf(text, options, text), release);
  } catch (e) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('browser step cancelled');
    if (e instanceof BrowserFailure) throw stepFailure(e.message, e.type, '', { release });
    throw e;
  } finally {
    stopHeartbeats();
  }
}
