import { encodedJsonSize } from '../temporal/payloadSize';

/**
 * How big a value is on the wire, gzipped by ptq's codec, given its JSON text. A local activity of
 * the run, because workflow code cannot compress: the run asks before it continues as new with a
 * big state, and sends the text it already made rather than the value to parse and stringify again.
 */
export async function measurePayload(json: string): Promise<number> {
  return encodedJsonSize(json);
}
