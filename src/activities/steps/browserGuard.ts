import { lookup } from 'node:dns/promises';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { BlockedAddressError, checkHost, guardedLookup, isBlockedAddress } from './netGuard';

/**
 * The browsers' way out: an HTTP proxy in the worker, on 127.0.0.1, that applies `http` steps' SSRF
 * rules (netGuard.ts) to every request a page makes: the page itself, each redirect, every
 * subresource, fetch and WebSocket. Chromium sends them all here (`--proxy-server`, with no
 * implicit bypass: by default it would connect to loopback and link-local addresses itself). It resolves
 * names itself and connects only to the address it checked, so DNS rebinding cannot slip past;
 * playwright's request interception could do neither (it does not see redirects, nor addresses).
 *
 * A refused request gets 403 with `x-ptq-blocked` (plain http) or a refused tunnel (https), which
 * the step reports (browser.ts).
 */

/** The header a refused plain-http request's 403 carries: the reason. */
export const BLOCKED_HEADER = 'x-ptq-blocked';

/** A running guard proxy. */
export interface GuardProxy {
  /** For Chromium's `--proxy-server`. */
  address: string;
  close(): void;
}

/** The hop-by-hop headers a proxy must not forward. */
const HOP_BY_HOP = ['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade'];

/** Starts the proxy on a free port of 127.0.0.1; it does not keep the worker alive. */
export async function startGuardProxy(): Promise<GuardProxy> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => forward(req, res, agent));
  server.on('connect', tunnel);
  server.on('clientError', (_err, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    close: () => {
      server.close();
      server.closeAllConnections();
      agent.destroy();
    },
  };
}

/** Why a URL may not be loaded (its host is or resolves to a refused address), or undefined. */
export async function blockedReason(url: string): Promise<string | undefined> {
  let host: string;
  try {
    host = new URL(url).hostname;
    checkHost(host);
  } catch (e) {
    return e instanceof BlockedAddressError ? browserMessage(e) : undefined;
  }
  const addresses = await lookup(host.replace(/^\[|\]$/g, ''), { all: true }).catch(() => []);
  const bad = addresses.find((a) => isBlockedAddress(a.address));
  if (!bad || allowed(host)) return undefined;
  return browserMessage(new BlockedAddressError(host, bad.address));
}

function allowed(host: string): boolean {
  return (process.env.PTQ_HTTP_ALLOW_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .includes(host.toLowerCase());
}

/** netGuard's message, worded for pages. */
function browserMessage(e: Error): string {
  return e.message.replace('which http steps may not call', 'which browser steps may not load');
}

/** A plain-http request in absolute form (`GET http://host/path`), checked and sent on. */
function forward(req: IncomingMessage, res: ServerResponse, agent: Agent): void {
  let target: URL;
  try {
    target = new URL(req.url ?? '');
    if (target.protocol !== 'http:') throw new Error(`not http: ${target.protocol}`);
    checkHost(target.hostname);
  } catch (e) {
    return refuse(res, e as Error);
  }
  const headers = { ...req.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  const upstream = request(
    {
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || 80,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers,
      agent,
      lookup: guardedLookup,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on('error', (e) => refuse(res, e));
  // A page closed (a cancel, a timeout) closes its connection here: the server sees it at once.
  res.on('close', () => res.writableFinished || upstream.destroy());
  req.pipe(upstream);
}

/** A 403 for a refused address, a 502 for anything else. */
function refuse(res: ServerResponse, e: Error): void {
  if (res.headersSent) return void res.destroy();
  const blocked = e instanceof BlockedAddressError;
  const reason = blocked ? browserMessage(e) : e.message;
  res.writeHead(blocked ? 403 : 502, {
    'content-type': 'text/plain',
    ...(blocked ? { [BLOCKED_HEADER]: reason } : {}),
  });
  res.end(`${reason}\n`);
}

/** `CONNECT host:port` (https, wss): checked, then bytes both ways to the checked address. */
function tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
  let target: URL;
  try {
    target = new URL(`http://${req.url ?? ''}`);
    checkHost(target.hostname);
  } catch (e) {
    const status = e instanceof BlockedAddressError ? '403 Forbidden' : '400 Bad Request';
    return void client.end(`HTTP/1.1 ${status}\r\n\r\n`);
  }
  const upstream = connect({
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: Number(target.port) || 443,
    lookup: guardedLookup,
  });
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (e) => {
    if (connected) return void client.destroy();
    client.end(`HTTP/1.1 ${e instanceof BlockedAddressError ? '403 Forbidden' : '502 Bad Gateway'}\r\n\r\n`);
  });
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
}
