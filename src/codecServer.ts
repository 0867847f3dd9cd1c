import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { GzipCodec, MAX_INFLATED_BYTES, PayloadTooLargeError } from './codec';
import { ExitCode, PtqError } from './errors';

/** A payload in proto3 JSON, as the Web UI and the Temporal CLI send it: every bytes field in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY_BYTES = 16 << 20;
/** Most bytes one decode request may produce in all: a few big payloads, never gigabytes. */
const MAX_DECODED_BYTES_PER_REQUEST = 2 * MAX_INFLATED_BYTES;

/** How to run a codec server. */
export interface CodecServerOptions {
  host?: string;
  port?: number;
  codec?: PayloadCodec;
  /** Browser origins allowed to call (the Web UI's). Others get no CORS headers, so browsers refuse. */
  uiOrigins?: string[];
  /** When set, every request needs `Authorization: Bearer TOKEN` (the Web UI can send one). */
  authToken?: string;
}

/** Origins of the local dev Web UI on a port: people open it as localhost or 127.0.0.1. */
export function localUiOrigins(port: number): string[] {
  return [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
}

/** Thrown when a request would make the server hold too much; answered with 413. */
class TooLargeError extends Error {}

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode`, also under `/{namespace}/`),
 * so the Web UI and `temporal workflow show --codec-endpoint` can show payloads that ptq gzipped.
 * `ptq dev` runs one and points its Web UI at it; `ptq codec-server` runs one for a cluster's UI.
 */
export async function startCodecServer(options: CodecServerOptions = {}): Promise<{ url: string; server: Server }> {
  const codec = options.codec ?? new GzipCodec();
  const policy = { origins: new Set(options.uiOrigins ?? localUiOrigins(8233)), token: options.authToken };
  const server = createServer((req, res) => {
    handle(codec, policy, req, res).catch((err: unknown) => {
      const tooLarge = err instanceof TooLargeError || err instanceof PayloadTooLargeError;
      reply(res, tooLarge ? 413 : 400, { message: err instanceof Error ? err.message : String(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new PtqError(
              `port ${options.port} is already in use`,
              ExitCode.usage,
              'stop what runs there or pass another --port',
            )
          : err,
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return { url: `http://${address}:${port}`, server };
}

async function handle(
  codec: PayloadCodec,
  policy: { origins: Set<string>; token?: string },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Only the Web UI's own origin may call from a browser, with credentials; any other page gets
  // no CORS headers, so the browser keeps the answer from it.
  const origin = req.headers.origin;
  if (origin && policy.origins.has(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Vary', 'Origin');
  }
  if (req.method === 'OPTIONS') return reply(res, 204);
  if (policy.token !== undefined && req.headers.authorization !== `Bearer ${policy.token}`)
    return reply(res, 401, { message: 'missing or wrong bearer token' });
  const route = (req.url ?? '').split('?')[0].split('/').pop();
  if (route !== 'encode' && route !== 'decode') return reply(res, 404, { message: 'use POST /encode or /decode' });
  if (req.method !== 'POST') return reply(res, 405, { message: 'use POST' });
  const body = JSON.parse(await readBody(req)) as { payloads?: JsonPayload[] };
  const payloads = (body.payloads ?? []).map(fromJson);
  const out = route === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
  const total = out.reduce((n, p) => n + (p.data?.length ?? 0), 0);
  if (total > MAX_DECODED_BYTES_PER_REQUEST)
    throw new TooLargeError(`the payloads decode to more than ${MAX_DECODED_BYTES_PER_REQUEST >> 20} MB in all`);
  reply(res, 200, { payloads: out.map(toJson) });
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TooLargeError(`request body over ${MAX_BODY_BYTES >> 20} MB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
