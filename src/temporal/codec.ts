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

/** Thrown when a payload, or the payloads of one codec server request, would inflate past a cap. */
export class PayloadTooLargeError extends Error {
  constructor(what = 'a gzipped payload inflates', limit = MAX_INFLATED_BYTES) {
    super(`${what} to more than ${limit >> 20} MB, which ptq refuses`);
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
    return payloads.map((p) => (isGzipped(p) ? (PayloadProto.decode(inflate(p.data)) as Payload) : p));
  }

  /**
   * `decode` for a server that answers strangers, with at most `budget` bytes inflated in all. The
   * sizes the gzip trailers declare are checked before anything inflates, so 40 bombs are refused
   * at once; then each payload inflates with a cap of what is left, so one that declares less than
   * it holds (a second gzip member after the first) still stops at the budget.
   */
  async decodeWithin(payloads: Payload[], budget: number): Promise<Payload[]> {
    const overBudget = () => new PayloadTooLargeError('the payloads of this request inflate', budget);
    let declared = 0;
    for (const p of payloads.filter(isGzipped)) {
      const size = declaredSize(p.data);
      if (size > MAX_INFLATED_BYTES) throw new PayloadTooLargeError();
      declared += size;
    }
    if (declared > budget) throw overBudget();
    let left = budget;
    return payloads.map((p) => {
      if (!isGzipped(p)) return p;
      if (left <= 0) throw overBudget();
      const cap = Math.min(MAX_INFLATED_BYTES, left);
      const raw = inflate(p.data, cap, cap < MAX_INFLATED_BYTES ? overBudget : undefined);
      left -= raw.length;
      return PayloadProto.decode(raw) as Payload;
    });
  }
}

/** ptq's payload converter (see payloadConverter.ts), for the data converter and workflow bundles. */
export const PAYLOAD_CONVERTER_PATH = require.resolve('./payloadConverter');

/** The data converter of every ptq worker and client: both sides must agree on it. */
export const dataConverter: DataConverter = {
  payloadConverterPath: PAYLOAD_CONVERTER_PATH,
  payloadCodecs: [new GzipCodec()],
};

function isGzipped(p: Payload): p is Payload & { data: Uint8Array } {
  return !!p.data && !!p.metadata?.encoding && new TextDecoder().decode(p.metadata.encoding) === ENCODING;
}

/** The size a gzip member says it inflates to (its trailer's ISIZE); 0 for data too short to be gzip. */
function declaredSize(data: Uint8Array): number {
  return data.length < 18
    ? 0
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength).readUInt32LE(data.length - 4);
}

function inflate(data: Uint8Array, cap = MAX_INFLATED_BYTES, tooLarge = () => new PayloadTooLargeError()): Uint8Array {
  try {
    return gunzipSync(data, { maxOutputLength: cap });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw err;
  }
}
