import type { Payload } from '@temporalio/common';
import { GzipCodec } from './codec';
import { jsonPayload, payloadConverter } from './payloadConverter';
import { MAX_PAYLOAD_BYTES } from '../core/plan/limits';

/**
 * The size a value has on the wire once ptq's codec has gzipped it, so a run whose input
 * Temporal would refuse is refused here first, with a line that says why and what to do.
 */
export async function encodedSize(value: unknown): Promise<number> {
  return gzippedSize(payloadConverter.toPayload(value));
}

/**
 * The same for a value given as its JSON text: the payload the JSON converter makes of a value is
 * its JSON, so a caller that has the text at hand (a run's state is megabytes of it) saves
 * stringifying and parsing the value again.
 */
export async function encodedJsonSize(json: string): Promise<number> {
  return gzippedSize(jsonPayload(new TextEncoder().encode(json)));
}

async function gzippedSize(payload: Payload): Promise<number> {
  const [encoded] = await new GzipCodec().encode([payload]);
  return encoded.data?.length ?? 0;
}

/** Why `value` is too big to start a run with, or undefined. */
export async function payloadProblem(value: unknown, what = 'the plan'): Promise<string | undefined> {
  const size = await encodedSize(value);
  if (size <= MAX_PAYLOAD_BYTES) return undefined;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return `${what} is ${mb(size)} MB even gzipped, over Temporal's ${mb(MAX_PAYLOAD_BYTES)} MB payload limit: move large prompts, inputs and bodies into files, or split the plan`;
}
