import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { HttpStep } from '../core';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './context';
import { OUTPUT_CAP_BYTES } from './tail';

/**
 * Calls an HTTP endpoint. 5xx, 408 and 429 are retryable (the server may recover); other
 * unexpected statuses are not, because sending the same request again will not change them.
 */
export async function runHttp(step: HttpStep): Promise<StepResult> {
  const ctx = Context.current();
  const signals = [ctx.cancellationSignal];
  if (step.timeout) signals.push(AbortSignal.timeout(step.timeout));
  const json = step.body !== undefined && typeof step.body !== 'string';
  const stopHeartbeats = keepHeartbeating();
  try {
    const response = await fetch(step.url, {
      method: step.method,
      headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...step.headers },
      body: typeof step.body === 'string' ? step.body : json ? JSON.stringify(step.body) : undefined,
      signal: AbortSignal.any(signals),
    }).catch((e: Error) => {
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('http step cancelled');
      const cause = (e.cause as Error | undefined)?.message ?? e.message;
      throw stepFailure(`${step.method} ${step.url} failed: ${cause}`, 'HttpError', '');
    });
    const body = (await response.text()).slice(-OUTPUT_CAP_BYTES);
    const expected = step.expectStatus ? step.expectStatus.includes(response.status) : response.ok;
    const output = `HTTP ${response.status}\n${body}`;
    if (!expected) {
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      throw stepFailure(
        `${step.method} ${step.url} returned ${response.status}`,
        'HttpStatusError',
        output,
        !retryable,
      );
    }
    return stepResult(output);
  } finally {
    stopHeartbeats();
  }
}
