import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { GzipCodec, MAX_INFLATED_BYTES, PayloadTooLargeError } from './codec';
import { ExitCode, PtqError } from '../errors';
import { sameToken } from '../api/tokens';

/** A payload in proto3 JSON, as the Web UI and the Temporal CLI send it: every bytes field in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY_BYTES = 16 << 20;
/**
 * Most bytes one decode request may inflate in all: as much as one payload may, which is more than
 * ptq's largest pair (a big plan and its state, about 12 MB each). Answering it takes about 5x that
 * in memory (the payloads, their base64, the JSON text), so the cap bounds the server's memory too.
 */
const MAX_DECODED_BYTES_PER_REQUEST = MAX_INFLATED_BYTES;

/** How to run a codec server. */
export interface CodecServerOptions {
  host?: string;
  port?: number;
  /** Browser origins allowed to call (the Web UI's). A request from any other origin gets 403. */
  uiOrigins?: string[];
  /** When set, every request needs `Authorization: Bearer TOKEN` (the Web UI can send one). */
  authToken?: string;
  /** Listen beyond loopback without a token: only where a trusted network alone reaches the port. */
  withoutToken?: boolean;
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
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.authToken === undefined && !options.withoutToken)
    throw new PtqError(
      `--host ${host} lets other machines call the codec server, so it needs a token`,
      ExitCode.usage,
      'put one in PTQ_CODEC_TOKEN or in a file named by --auth-token-file (or pass --without-token if only a trusted network reaches the port)',
    );
  const codec = new GzipCodec();
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
    server.listen(options.port ?? 0, host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return { url: `http://${address}:${port}`, server };
}

/** True for an address that only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function handle(
  codec: GzipCodec,
  policy: { origins: Set<string>; token?: string },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Only the Web UI's own origin may call from a browser, with credentials. A page of any other
  // origin gets 403 before anything is read: CORS alone would only hide the answer from it, and a
  // text/plain POST reaches a server without a preflight.
  const origin = req.headers.origin;
  if (origin !== undefined && !policy.origins.has(origin))
    return reply(res, 403, { message: `origin ${origin} may not call this codec server (see --ui-origin)` });
  if (origin !== undefined) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Vary', 'Origin');
  }
  if (req.method === 'OPTIONS') return reply(res, 204);
  if (policy.token !== undefined && !sameToken(req.headers.authorization ?? '', `Bearer ${policy.token}`))
    return reply(res, 401, { message: 'missing or wrong bearer token' });
  const route = (req.url ?? '').split('?')[0].split('/').pop();
  if (route !== 'encode' && route !== 'decode') return reply(res, 404, { message: 'use POST /encode or /decode' });
  if (req.method !== 'POST') return reply(res, 405, { message: 'use POST' });
  const body = JSON.parse(await readBody(req)) as { payloads?: JsonPayload[] };
  const payloads = (body.payloads ?? []).map(fromJson);
  const out =
    route === 'decode'
      ? await codec.decodeWithin(payloads, MAX_DECODED_BYTES_PER_REQUEST)
      : await codec.encode(payloads);
  reply(res, 200, { payloads: out.map(toJson) });
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = () => new TooLargeError(`request body over ${MAX_BODY_BYTES >> 20} MB`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
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
