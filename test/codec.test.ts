import { gzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { GzipCodec } from '../src/codec';
import { startCodecServer } from '../src/codecServer';
import { encodedJsonSize, encodedSize } from '../src/payloadSize';

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

describe('payload size, as the run measures its state before continue-as-new', () => {
  it('is the same from the JSON text as from the value (the run sends the text it has)', async () => {
    const state = {
      tasks: Array.from({ length: 20_000 }, (_, i) => ({ id: `t${i}`, status: 'succeeded', note: 'é ✓' })),
    };
    const size = await encodedSize(state);
    expect(size).toBeGreaterThan(1024);
    expect(size).toBeLessThan(JSON.stringify(state).length / 5); // it is gzipped
    expect(await encodedJsonSize(JSON.stringify(state))).toBe(size);
  });
});

describe('codec server (the Web UI and Temporal CLI protocol)', () => {
  let server: Awaited<ReturnType<typeof startCodecServer>>;
  beforeAll(async () => (server = await startCodecServer()));
  afterAll(() => server.server.close());

  const asJson = (p: Payload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  it('decodes a gzipped payload sent as proto3 JSON, also under /{namespace}/decode', async () => {
    const value = { tasks: Array.from({ length: 5000 }, (_, i) => ({ id: `t${i}` })) };
    const [encoded] = await new GzipCodec().encode([defaultPayloadConverter.toPayload(value)]);
    for (const path of ['/decode', '/default/decode']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: [asJson(encoded)] }),
      });
      expect(res.status).toBe(200);
      const [decoded] = ((await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] })
        .payloads;
      expect(Buffer.from(decoded.metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(decoded.data, 'base64').toString())).toEqual(value);
    }
  });

  it("answers the browser's CORS preflight for the UI's origin, and refuses other routes", async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await fetch(`${server.url}/other`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${server.url}/decode`, { method: 'POST', body: 'not json' })).status).toBe(400);
  });
});

describe('codec server under hostile requests', () => {
  let server: Awaited<ReturnType<typeof startCodecServer>>;
  /** A tiny gzip that inflates to a `mb` megabyte payload of zeros: a zip bomb. */
  const bomb = (mb: number) => ({
    metadata: { encoding: Buffer.from('binary/gzip').toString('base64') },
    data: gzipSync(temporal.api.common.v1.Payload.encode({ data: Buffer.alloc(mb << 20) }).finish()).toString('base64'),
  });
  let big: ReturnType<typeof bomb>;
  let three: Array<ReturnType<typeof bomb>>;
  beforeAll(async () => {
    // Made before any request: the zip bombs take seconds to build, longer than keep-alive lasts.
    big = bomb(512);
    three = [bomb(30), bomb(30), bomb(30)];
    server = await startCodecServer({ uiOrigins: ['http://localhost:8233'], authToken: 't0k' });
  });
  afterAll(() => server.server.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0k', ...headers },
      body: JSON.stringify(body),
    });

  it('answers CORS only for the configured UI origin, never echoing another', async () => {
    const evil = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.headers.get('access-control-allow-credentials')).toBeNull();
    const ui = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233' } });
    expect(ui.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('needs the bearer token', async () => {
    expect((await post({ payloads: [] }, { authorization: '' })).status).toBe(401);
    expect((await post({ payloads: [] }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post({ payloads: [] })).status).toBe(200);
  });

  it('refuses a zip bomb with 413 without inflating it, and keeps serving', async () => {
    const before = process.memoryUsage().rss;
    const res = await post({ payloads: [big] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toContain('inflates to more than 32 MB');
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
    const many = await post({ payloads: three });
    expect(many.status).toBe(413);
    expect((await post({ payloads: [] })).status).toBe(200);
  });

  it('gives workers the same cap', async () => {
    const [p] = [bomb(64)].map((b) => ({
      metadata: { encoding: Buffer.from('binary/gzip') },
      data: Buffer.from(b.data, 'base64'),
    }));
    await expect(new GzipCodec().decode([p])).rejects.toThrow('inflates to more than 32 MB');
  });
});
