import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { GzipCodec } from './codec';
import { ExitCode, PtqError } from './errors';

/** A payload in proto3 JSON, as the Web UI and the Temporal CLI send it: every bytes field in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY_BYTES = 16 << 20;

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode`, also under `/{namespace}/`),
 * so the Web UI and `temporal workflow show --codec-endpoint` can show payloads that ptq gzipped.
 * `ptq dev` runs one and points its Web UI at it; `ptq codec-server` runs one for a cluster's UI.
 */
export async function startCodecServer(
  options: { host?: string; port?: number; codec?: PayloadCodec } = {},
): Promise<{ url: string; server: Server }> {
  const codec = options.codec ?? new GzipCodec();
  const server = createServer((req, res) => {
    handle(codec, req, res).catch((err: unknown) => reply(res, 400, { message: String(err) }));
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

async function handle(codec: PayloadCodec, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The Web UI calls from its own origin, sometimes with credentials: echo the origin back.
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
  if (req.method === 'OPTIONS') return reply(res, 204);
  const route = (req.url ?? '').split('?')[0].split('/').pop();
  if (route !== 'encode' && route !== 'decode') return reply(res, 404, { message: 'use POST /encode or /decode' });
  if (req.method !== 'POST') return reply(res, 405, { message: 'use POST' });
  const body = JSON.parse(await readBody(req)) as { payloads?: JsonPayload[] };
  const payloads = (body.payloads ?? []).map(fromJson);
  const out = route === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
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
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
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
