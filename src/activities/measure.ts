import { encodedJsonSize, encodedSize } from '../payloadSize';

/**
 * How big a value is on the wire, gzipped by ptq's codec. A local activity of the run, because
 * workflow code cannot compress: the run asks before it continues as new with a big state.
 */
export async function measurePayload(value: unknown, isJson = false): Promise<number> {
  // With `isJson`, `value` is the value's JSON text already (see `encodedJsonSize`).
  return isJson ? encodedJsonSize(value as string) : encodedSize(value);
}
