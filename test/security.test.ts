import { summaryOf } from '../src/client';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';
import { allHistoryText } from './support/history';

/**
 * Plans are code from whoever can start a run; the worker holds the keys. A canary key in the
 * worker's environment must never reach a step that did not get it, an output, or a history.
 */
const CANARY = 'sk-canary-7f3a9c1e5b2d4086';
const ALLOWED = 'allowed-secret-9d8c7b6a';

describe('secrets and trust on the real server', () => {
  beforeAll(() => {
    process.env.OPENAI_API_KEY = CANARY;
    process.env.PTQ_TEST_DEPLOY_TOKEN = ALLOWED;
    process.env.PTQ_SECRETS = 'PTQ_TEST_DEPLOY_TOKEN';
  });
  afterAll(() => {
    delete process.env.OPENAI_API_KEY;
    delete process.env.PTQ_TEST_DEPLOY_TOKEN;
    delete process.env.PTQ_SECRETS;
  });

  it.each(['child', 'inline'] as const)(
    'keeps a canary key out of steps, outputs, errors and every history (%s)',
    async (execution) => {
      const p = plan({
        defaults: { execution, retry: { maximumAttempts: 1 } },
        tasks: [
          { id: 'printenv', run: { type: 'shell', command: ['sh', '-c', 'printenv; echo "key=[$OPENAI_API_KEY]"'] } },
          {
            id: 'granted',
            run: {
              type: 'shell',
              command: ['sh', '-c', 'echo "token=$PTQ_TEST_DEPLOY_TOKEN"'],
              secrets: ['PTQ_TEST_DEPLOY_TOKEN'],
            },
          },
          {
            id: 'refused',
            run: { type: 'shell', command: ['sh', '-c', 'echo "$OPENAI_API_KEY"'], secrets: ['OPENAI_API_KEY'] },
          },
          {
            id: 'leaky',
            run: {
              type: 'shell',
              command: ['sh', '-c', 'echo "$PTQ_TEST_DEPLOY_TOKEN leaked" >&2; exit 3'],
              secrets: ['PTQ_TEST_DEPLOY_TOKEN'],
            },
          },
        ],
      });
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId(`secrets-${execution}`), taskQueue });
        const summary = await summaryOf(handle);
        const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
        // The step's environment is minimal: PATH and friends, not the worker's keys.
        expect(byId.printenv.output).toContain('PATH=');
        expect(byId.printenv.output).toContain('key=[]');
        expect(byId.printenv.output).not.toContain('PTQ_SECRETS');
        // An allowed secret reaches the step and is masked on the way out.
        expect(byId.granted.status).toBe('succeeded');
        expect(byId.granted.output).toContain('token=***');
        // A secret the worker does not allow is refused with a line that says how to allow it.
        expect(byId.refused.status).toBe('failed');
        expect(byId.refused.error).toContain(
          'secret OPENAI_API_KEY is not allowed on this worker: add it to PTQ_SECRETS',
        );
        // A step that prints a secret it was given, even in its error, gets it out only masked.
        expect(byId.leaky.error).toContain('exit code 3: *** leaked');
        const everything = `${JSON.stringify(summary)}\n${await allHistoryText(client, handle.workflowId)}`;
        expect(everything.includes(CANARY)).toBe(false);
        expect(everything.includes(ALLOWED)).toBe(false);
        expect(everything).toContain('token=***'); // the history text is really decoded
      });
    },
  );
});

describe('http steps refuse what a worker must not call', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (req.url === '/endless') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = 'x'.repeat(64 * 1024);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        pump();
        req.on('close', () => res.destroy());
      } else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('blocks cloud metadata, directly and through a redirect, and reads an endless body with a cap', async () => {
    const p = plan({
      defaults: { retry: { maximumAttempts: 1 }, execution: 'inline' },
      tasks: [
        { id: 'metadata', run: { type: 'http', url: 'http://169.254.169.254/latest/meta-data/' } },
        { id: 'unspecified', run: { type: 'http', url: 'http://0.0.0.0:1/' } },
        { id: 'redirect', run: { type: 'http', url: `${base}/to-metadata` } },
        { id: 'endless', run: { type: 'http', url: `${base}/endless`, timeout: '20s' } },
        { id: 'local', run: { type: 'http', url: `${base}/` } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const summary = await summaryOf(await startRun(client, p, { id: runId('http'), taskQueue }));
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      for (const id of ['metadata', 'unspecified', 'redirect']) {
        expect(byId[id].status).toBe('failed');
        expect(byId[id].attempts).toBe(1);
        expect(byId[id].error).toMatch(
          /is a link-local or cloud metadata address, which http steps may not call: list the host in the worker's PTQ_HTTP_ALLOW_HOSTS/,
        );
      }
      expect(byId.endless.status).toBe('succeeded');
      expect(byId.endless.output).toContain('[… body cut at 1048576 bytes]');
      expect(byId.local).toMatchObject({ status: 'succeeded', output: 'HTTP 200\nok' });
    });
  });
});
