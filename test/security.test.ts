import { summaryOf } from '../src/client';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRun } from '../src/client';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskValue } from '../src/activities/steps/secrets';
import { connectClient } from '../src/client';
import { plan, runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { allHistoryText } from './support/history';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

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

describe('masking a value', () => {
  it('masks secrets in strings, keys and numbers and keeps the value JSON', () => {
    const values = ['20250611', 'hunter22'];
    const value = { id: 20250611, note: 'pw=hunter22', hunter22: [1, 'x', null, { n: 120250611 }] };
    const masked = maskValue(value, values);
    expect(masked).toEqual({ id: '***', note: 'pw=***', '***': [1, 'x', null, { n: '1***' }] });
    // Masking the JSON text instead would have made `{"id":***,...}`, which no longer parses.
    expect(JSON.parse(JSON.stringify(masked))).toEqual(masked);
    expect(value.note).toBe('pw=hunter22');
  });
});

describe('a secret that becomes a map item', () => {
  const CANARY_TOKEN = 'canary-5e1f0b7d93a24c68';
  const workers: WorkerProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.child.kill('SIGKILL');
  });

  it('is masked in the history, the results, the failure summary, `ptq logs` and `ptq result --json`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-secret-items-'));
    const lines = join(dir, 'lines.txt');
    const objects = join(dir, 'objects.jsonl');
    const queue = `secret-items-${runId('q')}`;
    // Only the worker process holds the secret; this test process and the CLI never see it.
    workers.push(await startWorkerProcess(queue, [], { CANARY_TOKEN, PTQ_SECRETS: 'CANARY_TOKEN' }));
    const writer = [
      'printf "CANARY_TOKEN=%s\\nplain\\n" "$CANARY_TOKEN" > "$1"',
      'printf \'{"token":"%s","n":1}\\n{"%s":2}\\n\' "$CANARY_TOKEN" "$CANARY_TOKEN" > "$2"',
    ].join('\n');
    // An item fails unless it is "plain", so the secret's item is named in the failure summary.
    const check = ['sh', '-c', 'case "$1" in plain) ;; *) echo "bad item: $1"; exit 1;; esac', 'sh', '{{item}}'];
    const p = plan({
      defaults: { retry: { maximumAttempts: 1 } },
      tasks: [
        {
          id: 'write',
          run: { type: 'shell', command: ['sh', '-c', writer, 'sh', lines, objects], secrets: ['CANARY_TOKEN'] },
        },
        {
          id: 'm',
          dependsOn: ['write'],
          map: { items: { command: ['cat', lines] } },
          run: { type: 'shell', command: check },
        },
        {
          id: 'j',
          dependsOn: ['write'],
          map: { items: { file: objects } },
          run: { type: 'shell', command: ['echo', '{{item}}'] },
        },
      ],
    });
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const id = runId('secret-items');
    const summary = await summaryOf(await startRun(client, p, { id, taskQueue: queue }));
    const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
    expect(byId.m.status).toBe('failed');
    expect(byId.m.output).toContain('item 0 (CANARY_TOKEN=***): exit code 1: bad item: CANARY_TOKEN=***');
    expect(byId.j.status).toBe('succeeded');
    const logs = await ptq(['logs', id]);
    const result = await ptq(['result', id, '--json']);
    expect(result.stdout).toContain('item 0 (CANARY_TOKEN=***)');
    expect(logs.stdout).toContain('bad item: CANARY_TOKEN=***');
    const results = [byId.m.results, byId.j.results].map((f) => readFileSync(f as string, 'utf8')).join('\n');
    expect(results).toContain('{"token":"***","n":1}');
    expect(results).toContain('{"***":2}');
    const everything = [
      JSON.stringify(summary),
      await allHistoryText(client, id),
      logs.stdout,
      logs.stderr,
      result.stdout,
      results,
    ].join('\n');
    expect(everything).toContain('CANARY_TOKEN=***'); // the texts searched really hold the items
    expect(everything.includes(CANARY_TOKEN)).toBe(false);
    await client.connection.close();
  });
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
