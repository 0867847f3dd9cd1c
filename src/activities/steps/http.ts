import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { fetch, type Response } from 'undici';
import type { HttpStep } from '../../core';
import { keepHeartbeating, stepFailure, stepResult, type StepResult } from './stepResult';
import { BlockedAddressError, checkHost, guardedAgent } from './netGuard';
import { jsonOf, prepare, type StepOptions } from './stepOptions';
import { OUTPUT_CAP_BYTES } from './tail';

const MAX_REDIRECTS = 5;
/** Most of a response body read at all; the output keeps its tail. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * Calls an HTTP endpoint. Only http(s); link-local and cloud metadata addresses are refused, also
 * after a redirect (see netGuard.ts). 5xx, 408 and 429 are retryable (the server may recover);
 * other unexpected statuses are not, because sending the same request again will not change them.
 */
export async function runHttp(plainStep: HttpStep, options?: StepOptions): Promise<StepResult> {
  const step = prepare(plainStep, options);
  const response = await sendRequest(step);
  const body = response.body.slice(-OUTPUT_CAP_BYTES);
  const expected = step.expectStatus
    ? step.expectStatus.includes(response.status)
    : response.status >= 200 && response.status < 300;
  const output = `HTTP ${response.status}\n${body}`;
  if (!expected) {
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw stepFailure(`${step.method} ${step.url} returned ${response.status}`, 'HttpStatusError', output, {
      release: options?.release,
      retryable,
      retryAfterMs: retryAfterMs(response.retryAfter),
    });
  }
  return stepResult(output, jsonOf(response.body, options, output), options?.release);
}

/**
 * Sends an http step's request (templates resolved) with the step's guards and reads its body, up
 * to MAX_BODY_BYTES, whatever the status; the `http` tool of llm steps sends its calls through it
 * too. Heartbeats meanwhile; a cancel aborts the request. Failures are typed step failures.
 */
export async function sendRequest(
  step: Pick<HttpStep, 'url' | 'method' | 'headers' | 'body' | 'timeout'>,
): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const ctx = Context.current();
  const signals = [ctx.cancellationSignal];
  if (step.timeout) signals.push(AbortSignal.timeout(step.timeout));
  const signal = AbortSignal.any(signals);
  const stopHeartbeats = keepHeartbeating();
  try {
    const response = await follow(step, signal).catch((e: Error) => {
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('http step cancelled');
      if (e instanceof BlockedAddressError) throw stepFailure(e.message, 'HttpBlockedAddress', '');
      const cause = e.cause instanceof BlockedAddressError ? e.cause : undefined;
      if (cause) throw stepFailure(cause.message, 'HttpBlockedAddress', '');
      throw stepFailure(
        `${step.method} ${step.url} failed: ${(e.cause as Error)?.message ?? e.message}`,
        'HttpError',
        '',
      );
    });
    const body = await readCapped(response, signal);
    return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
  } finally {
    stopHeartbeats();
  }
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds, or undefined without one. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Sends the request and follows redirects by hand, so every hop gets the same checks. */
async function follow(
  step: Pick<HttpStep, 'url' | 'method' | 'headers' | 'body'>,
  signal: AbortSignal,
): Promise<Response> {
  const json = step.body !== undefined && typeof step.body !== 'string';
  let url = new URL(step.url);
  let method: string = step.method;
  let body = typeof step.body === 'string' ? step.body : json ? JSON.stringify(step.body) : undefined;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`only http and https are allowed, not ${url.protocol}`);
    checkHost(url.hostname);
    const response = await fetch(url, {
      method,
      headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...step.headers },
      body,
      signal,
      redirect: 'manual',
      dispatcher: guardedAgent,
    });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    await response.body?.cancel();
    url = new URL(location, url);
    // 303, and 301/302 after a POST, turn into a GET without a body, as browsers do.
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
  }
}

/** Reads at most MAX_BODY_BYTES of the body, then stops: a huge or endless response cannot fill memory. */
async function readCapped(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  while (size < MAX_BODY_BYTES && !signal.aborted) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const text = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
  return size >= MAX_BODY_BYTES ? `${text}\n[… body cut at ${MAX_BODY_BYTES} bytes]` : text;
}
