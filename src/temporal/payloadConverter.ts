import {
  BinaryPayloadConverter,
  CompositePayloadConverter,
  encodingKeys,
  encodingTypes,
  METADATA_ENCODING_KEY,
  UndefinedPayloadConverter,
  ValueError,
  type Payload,
  type PayloadConverterWithEncoding,
} from '@temporalio/common';

/** The payload the JSON converter makes of a value whose JSON text, in UTF-8, is `data`. */
export function jsonPayload(data: Uint8Array): Payload {
  return { metadata: { [METADATA_ENCODING_KEY]: encodingKeys.METADATA_ENCODING_JSON }, data };
}

/**
 * JSON payloads as the SDK's own converter makes them, byte for byte, but encoded and decoded with
 * the platform's UTF-8 `TextEncoder`/`TextDecoder`. The SDK's converter uses a UTF-8 codec written
 * in JavaScript (workflow sandboxes once lacked these; the SDK's sandbox has them now). At the size
 * of a 50,000-task plan or a big run's carried state, 5 MB of JSON, that codec took longer than
 * `JSON.parse` itself, in the first workflow task of every generation (`npm run bench -- --only
 * generation`). JSON.stringify writes no lone surrogates, so both codecs give the same bytes.
 */
class NativeJsonPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_JSON;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  toPayload<T>(value: T): Payload | undefined {
    if (value === undefined) return undefined;
    let json: string;
    try {
      json = JSON.stringify(value);
    } catch {
      return undefined;
    }
    return jsonPayload(this.encoder.encode(json));
  }

  fromPayload<T>(payload: Payload): T {
    if (payload.data === undefined || payload.data === null) throw new ValueError('Got payload with no data');
    return JSON.parse(this.decoder.decode(payload.data)) as T;
  }
}

/** The SDK's default converters (undefined, binary, JSON) in its order, with native UTF-8 for JSON. */
export const payloadConverter = new CompositePayloadConverter(
  new UndefinedPayloadConverter(),
  new BinaryPayloadConverter(),
  new NativeJsonPayloadConverter(),
);
