import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { GzipCodec } from '../src/temporal/codec';
import { startCodecServer } from '../src/temporal/codecServer';
import { freePort } from '../src/temporal/devServer';
import { encodedJsonSize, encodedSize } from '../src/temporal/payloadSize';
import { ptq, spawnPtq } from './support/cli';
import { waitFor } from './support/processes';

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

/**
 * A tiny gzip that inflates to a `mb` megabyte payload of zeros: a zip bomb. With `lying`, a second
 * gzip member follows, so the trailer declares that member's few bytes, not the megabytes before.
 */
const bomb = (mb: number, lying = false) => {
  const gzipped = gzipSync(temporal.api.common.v1.Payload.encode({ data: Buffer.alloc(mb << 20) }).finish());
  return {
    metadata: { encoding: Buffer.from('binary/gzip').toString('base64') },
    data: (lying ? Buffer.concat([gzipped, gzipSync(Buffer.from([0x0a, 0x00]))]) : gzipped).toString('base64'),
  };
};

describe('codec server under hostile requests', () => {
  let server: Awaited<ReturnType<typeof startCodecServer>>;
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

  it('refuses a cross-origin text/plain POST (no preflight) with 403, before it reads or inflates anything', async () => {
    const evil = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain', authorization: 'Bearer t0k' },
      body: JSON.stringify({ payloads: three }),
    });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { message: string }).message).toBe(
      'origin https://evil.example may not call this codec server (see --ui-origin)',
    );
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const ui = await post({ payloads: [] }, { origin: 'http://localhost:8233' });
    expect(ui.status).toBe(200);
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

/** Peak resident memory of a process so far, in bytes (VmHWM in /proc/PID/status). */
function peakRss(pid: number): number {
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
}

describe('ptq codec-server as a process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-codec-'));
  const running: ChildProcess[] = [];
  afterAll(() => {
    for (const child of running) child.kill('SIGINT');
  });

  /** Starts `ptq codec-server` on a free port and waits until it listens. */
  async function codecServer(args: string[], env: Record<string, string> = {}) {
    const port = await freePort();
    const child = spawnPtq(['codec-server', '--port', String(port), ...args], env);
    running.push(child);
    let said = '';
    child.stderr?.on('data', (c: Buffer) => (said += c.toString()));
    await waitFor(() => said.includes('ptq codec server:'));
    const decode = (body: unknown, token?: string) =>
      fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    return { child, decode, said: () => said };
  }

  it('takes its token from PTQ_CODEC_TOKEN or --auth-token-file, never showing it in ps', async () => {
    const token = 'codec-secret-4d1e';
    writeFileSync(join(dir, 'token'), `${token}\n`);
    for (const [args, env] of [
      [[], { PTQ_CODEC_TOKEN: token }],
      [['--auth-token-file', join(dir, 'token')], {}],
    ] as Array<[string[], Record<string, string>]>) {
      const { child, decode } = await codecServer(args, env);
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')).not.toContain(token);
      expect((await decode({ payloads: [] })).status).toBe(401);
      expect((await decode({ payloads: [] }, 'wrong')).status).toBe(401);
      expect((await decode({ payloads: [] }, token)).status).toBe(200);
    }
    // The old flag still works, and says why it should not be used.
    const { decode, said } = await codecServer(['--auth-token', token]);
    expect((await decode({ payloads: [] }, token)).status).toBe(200);
    expect(said()).toContain('ptq: --auth-token shows the token in `ps`; use PTQ_CODEC_TOKEN or --auth-token-file');
  });

  it('refuses to listen beyond loopback without a token, in one line', async () => {
    const refused = await ptq(['codec-server', '--host', '0.0.0.0', '--port', String(await freePort())], {
      PTQ_CODEC_TOKEN: '',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(
      'ptq: --host 0.0.0.0 lets other machines call the codec server, so it needs a token: put one in ' +
        'PTQ_CODEC_TOKEN or in a file named by --auth-token-file (or pass --without-token if only a trusted ' +
        'network reaches the port)',
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    const emptyFile = await ptq(['codec-server', '--port', String(await freePort()), '--auth-token-file', empty]);
    expect([emptyFile.code, emptyFile.stderr.trim()]).toEqual([
      2,
      `ptq: token file ${empty} is empty: put a long random string in it`,
    ]);
  });

  it('answers 40 zip bombs of 30 MB in one 1.6 MB request with 413, its peak memory growing less than 256 MB', async () => {
    const token = 'bomb-test';
    const { child, decode } = await codecServer([], { PTQ_CODEC_TOKEN: token });
    const pid = child.pid as number;
    const honest = bomb(30);
    const lying = bomb(30, true);
    expect((await decode({ payloads: [] }, token)).status).toBe(200);
    const before = peakRss(pid);
    // The honest bombs are refused from their gzip trailers alone; the lying ones by the running cap.
    for (const one of [honest, lying]) {
      const body = { payloads: Array.from({ length: 40 }, () => one) };
      expect(JSON.stringify(body).length).toBeLessThan(2 << 20);
      const res = await decode(body, token);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { message: string }).message).toBe(
        'the payloads of this request inflate to more than 32 MB, which ptq refuses',
      );
    }
    const grown = peakRss(pid) - before;
    expect(grown).toBeLessThan(256 << 20);
    // It still decodes what it should: a payload that inflates to 30 MB is within the caps.
    const ok = await decode({ payloads: [honest] }, token);
    expect(ok.status).toBe(200);
    const [decoded] = ((await ok.json()) as { payloads: Array<{ data: string }> }).payloads;
    expect(Buffer.from(decoded.data, 'base64').length).toBe(30 << 20);
  });
});
