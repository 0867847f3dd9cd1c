import { summaryOf } from '../src/client';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRun } from '../src/client';
import type { RunSummary } from '../src/core';
import { plan, runId, withWorker } from './helpers';

/** Webhooks (`notify`) against a real HTTP server on 127.0.0.1 that fails once, then answers. */
describe('notify', () => {
  it('posts the summary when the run ends as asked, retries a 500, and keeps tokens out of the history', async () => {
    const got: Array<{ path: string; headers: IncomingHttpHeaders; body: RunSummary }> = [];
    let calls = 0;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as RunSummary });
        res.writeHead(++calls === 1 ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(process.env, { PTQ_SECRETS: 'PTQ_TEST_HOOK_AUTH', PTQ_TEST_HOOK_AUTH: 'Bearer s3cret-token' });
    try {
      const id = runId('notify');
      const history = await withWorker(async ({ client, taskQueue }) => {
        const p = plan({
          tasks: [{ id: 'x', retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['false'] } }],
          notify: [
            {
              on: ['failed', 'cancelled'],
              url: `${base}/hook`,
              headers: { 'x-team': 'infra' },
              secretHeaders: { authorization: 'PTQ_TEST_HOOK_AUTH' },
            },
            { on: ['succeeded'], url: `${base}/never` },
          ],
        });
        const handle = await startRun(client, p, { id, taskQueue });
        expect((await summaryOf(handle)).status).toBe('failed');
        // Payloads (base64) as text, so the check below reads what the history really holds.
        return JSON.stringify(await handle.fetchHistory(), (key, v: unknown) =>
          key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
        );
      });
      expect(got.map((g) => g.path)).toEqual(['/hook', '/hook']); // a 500, then delivered
      expect(got[1].body).toMatchObject({ id, status: 'failed', counts: { failed: 1 } });
      expect(got[1].headers).toMatchObject({ 'x-team': 'infra', authorization: 'Bearer s3cret-token' });
      expect(history).toContain('PTQ_TEST_HOOK_AUTH'); // the variable's name is there...
      expect(history).not.toContain('s3cret'); // ...its value never is
    } finally {
      delete process.env.PTQ_SECRETS;
      delete process.env.PTQ_TEST_HOOK_AUTH;
      server.close();
    }
  });

  it('refuses a hook with both or neither of url and urlFrom', () => {
    const tasks = [{ id: 'x', run: { type: 'shell' as const, command: ['true'] } }];
    expect(() => plan({ tasks, notify: [{ on: ['failed'] }] })).toThrow('give url or urlFrom (one of them)');
  });
});
