import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it: when it came and went (ms), and how many were in flight on arrival, itself included. */
export interface Served {
  path: string;
  start: number;
  end: number;
  inFlight: number;
}

/** A local HTTP service whose answer takes `delayMs(inFlight, path)`; it records every request. */
export interface LoadServer {
  base: string;
  served: Served[];
  close(): Promise<void>;
}

/** Starts a LoadServer on 127.0.0.1. */
export async function startLoadServer(delayMs: (inFlight: number, path: string) => number): Promise<LoadServer> {
  const served: Served[] = [];
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    inFlight++;
    const start = Date.now();
    const path = req.url ?? '';
    const depth = inFlight;
    setTimeout(
      () => {
        inFlight--;
        served.push({ path, start, end: Date.now(), inFlight: depth });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      },
      delayMs(depth, path),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Requests per second over the time the given requests span, first start to last end. */
export function throughputOf(served: Served[]): number {
  if (served.length === 0) return 0;
  const first = Math.min(...served.map((s) => s.start));
  const last = Math.max(...served.map((s) => s.end));
  return (served.length * 1000) / Math.max(1, last - first);
}

/** Jain's fairness index of shares x: 1 when all are equal, 1/n when one takes everything; NaN when nobody got any. */
export function jainIndex(x: number[]): number {
  const sum = x.reduce((a, b) => a + b, 0);
  const squares = x.reduce((a, b) => a + b * b, 0);
  return (sum * sum) / (x.length * squares);
}
