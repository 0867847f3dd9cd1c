import { gunzipSync, gzipSync } from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/gzip';

/**
 * Most bytes one gzipped payload may inflate to. Temporal caps a payload at 2 MB, and ptq's
 * largest (a 50,000-task plan and its state mid-run) inflates to about 12 MB; a crafted one could inflate 1,000x and
 * exhaust memory.
 */
export const MAX_INFLATED_BYTES = 32 << 20;

/** Thrown when a payload would inflate past MAX_INFLATED_BYTES. */
export class PayloadTooLargeError extends Error {
  constructor() {
    super(`a gzipped payload inflates to more than ${MAX_INFLATED_BYTES >> 20} MB, which ptq refuses`);
    this.name = 'PayloadTooLargeError';
  }
}
const ENCODING_BYTES = new TextEncoder().encode(ENCODING);
const { Payload: PayloadProto } = temporal.api.common.v1;

/**
 * Gzips payloads above `threshold` bytes. Temporal refuses payloads over 2 MB, and a big plan's
 * input, its scheduler state carried across continue-as-new and its final summary pass that
 * (about 2.4 MB of JSON at 10,000 tasks). That JSON shrinks about 17x. Smaller payloads stay
 * plain JSON, so the Web UI shows them as they are.
 */
export class GzipCodec implements PayloadCodec {
  constructor(private readonly threshold = 128 * 1024) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) =>
      (p.data?.length ?? 0) <= this.threshold
        ? p
        : {
            metadata: { encoding: ENCODING_BYTES },
            data: gzipSync(PayloadProto.encode(p).finish()),
          },
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? new TextDecoder().decode(p.metadata.encoding) : undefined;
      if (encoding !== ENCODING || !p.data) return p;
      return PayloadProto.decode(inflate(p.data)) as Payload;
    });
  }
}

/** The data converter of every ptq worker and client: both sides must agree on it. */
export const dataConverter: DataConverter = { payloadCodecs: [new GzipCodec()] };

function inflate(data: Uint8Array): Uint8Array {
  try {
    return gunzipSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new PayloadTooLargeError();
    throw err;
  }
}
