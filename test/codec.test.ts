import { defaultPayloadConverter } from '@temporalio/common';
import { GzipCodec } from '../src/codec';

describe('payload codec', () => {
  const codec = new GzipCodec(1024);
  const small = defaultPayloadConverter.toPayload({ plan: 'tiny' });
  const big = defaultPayloadConverter.toPayload({ tasks: Array.from({ length: 500 }, (_, i) => ({ id: `t${i}` })) });

  it('leaves small payloads as plain JSON, so the Web UI shows them', async () => {
    const [encoded] = await codec.encode([small]);
    expect(encoded).toBe(small);
    expect(defaultPayloadConverter.fromPayload(encoded)).toEqual({ plan: 'tiny' });
  });

  it('gzips big payloads and gives back exactly what went in', async () => {
    const [encoded] = await codec.encode([big]);
    expect(Buffer.from(encoded.metadata?.encoding ?? []).toString()).toBe('binary/gzip');
    expect(encoded.data?.length).toBeLessThan((big.data?.length ?? 0) / 5);
    const [decoded] = await codec.decode([encoded]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(defaultPayloadConverter.fromPayload(big));
  });
});
