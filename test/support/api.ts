import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';
import { spawnPtq } from './cli';
import { waitFor } from './processes';

/** A real `ptq serve` on a free port, and requests to it with its token. */
export interface Api {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  stop(): void;
}

/** Starts `ptq serve` as a subprocess and waits until it listens. */
export async function startApi(): Promise<Api> {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-api-'));
  const token = `token-${Date.now()}`;
  writeFileSync(join(dir, 'token'), `${token}\n`);
  const port = await freePort();
  const server = spawnPtq(['serve', '--port', String(port), '--token-file', join(dir, 'token')]);
  let said = '';
  server.stderr?.on('data', (c: Buffer) => (said += c.toString()));
  await waitFor(() => said.includes('ptq API on') || undefined);
  return {
    async call(method, path, body) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    },
    stop: () => void server.kill('SIGINT'),
  };
}
