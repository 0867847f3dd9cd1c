import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createSecureServer, type IncomingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';
import { ptq, spawnPtq } from '../support/cli';
import { waitFor } from '../support/processes';
import { HISTORY_SHARDS, startCluster, type Cluster } from './cluster';

// ptq on a production-shaped Temporal cluster: the server built from source on PostgreSQL with 4
// history shards and SQL visibility, mTLS on the frontend, two `ptq worker` processes and the CLI,
// all pointed at it by environment variables alone. One of the workers is killed with -9 mid-run;
// later the server itself is restarted mid-run.

const QUEUE = 'cluster';
let cluster: Cluster;
let dir: string;
const workers: ChildProcess[] = [];

function startWorker(): ChildProcess {
  const w = spawnPtq(['worker', '--task-queue', QUEUE], cluster.env);
  workers.push(w);
  return w;
}

async function run(args: string[], env: Record<string, string> = {}) {
  return ptq(args, { ...cluster.env, ...env });
}

async function json<T>(args: string[]): Promise<T> {
  const r = await run([...args, '--json']);
  if (r.stdout.trim() === '') throw new Error(`ptq ${args.join(' ')} printed nothing: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Summary {
  status: string;
  counts: Record<string, number>;
  tasks: Array<{ id: string; status: string; worker: string | null }>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ptq-cluster-test-'));
  cluster = await startCluster((l) => process.stderr.write(`${l}\n`));
  process.stderr.write(
    `cluster: Temporal server ${cluster.versions.server} (built from source), PostgreSQL ${cluster.versions.postgres}, ` +
      `${HISTORY_SHARDS} history shards, SQL visibility, mTLS, frontend ${cluster.address}\n`,
  );
}, 900_000);

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await cluster?.stop();
});

/** 200 shell tasks, 20 chains of 10, child and inline alternating; the last one fails on purpose. */
function bigPlan(markers: string) {
  const tasks = Array.from({ length: 200 }, (_, i) => {
    const id = `t${String(i).padStart(3, '0')}`;
    const script = i === 199 ? 'exit 7' : `sleep 0.4; echo ran >> ${join(markers, id)}`;
    return {
      id,
      execution: i % 2 ? 'inline' : 'child',
      dependsOn: i >= 20 ? [`t${String(i - 20).padStart(3, '0')}`] : [],
      retry: i === 199 ? { maximumAttempts: 1 } : undefined,
      run: { type: 'shell', command: ['sh', '-c', script] },
    };
  });
  return { name: 'cluster-big', maxConcurrency: 20, defaults: { heartbeatTimeout: '3s' }, tasks };
}

it('runs 200 tasks on two workers, one killed with -9 halfway; lists the failed run; fires a schedule; rides out a server restart', async () => {
  const markers = mkdtempSync(join(dir, 'markers-'));
  writeFileSync(join(dir, 'big.json'), JSON.stringify(bigPlan(markers)));
  const [a] = [startWorker(), startWorker()];

  const id = `cluster-big-${Date.now().toString(36)}`;
  const started = await run(['start', '--plan', join(dir, 'big.json'), '--id', id, '--task-queue', QUEUE]);
  expect(started.code).toBe(0);
  await waitFor(async () => {
    const p = await json<{ counts: { succeeded: number } }>(['status', id]).catch(() => undefined);
    return p && p.counts?.succeeded >= 100 ? p : undefined;
  }, 120_000);
  a.kill('SIGKILL');

  const result = await run(['result', id, '--json']);
  expect(result.code).toBe(1); // one task failed on purpose
  const summary = JSON.parse(result.stdout) as Summary;
  expect(summary.counts).toMatchObject({ total: 200, succeeded: 199, failed: 1, skipped: 0, cancelled: 0 });
  expect(summary.tasks.find((t) => t.id === 't199')?.status).toBe('failed');
  // Nothing lost: every task that succeeded did its work.
  const missing = summary.tasks.filter((t) => t.id !== 't199' && !existsSync(join(markers, t.id)));
  expect(missing.map((t) => t.id)).toEqual([]);
  // The work spread over both workers (the killed one did part of it before it died).
  const spread: Record<string, number> = {};
  for (const t of summary.tasks) if (t.worker) spread[t.worker] = (spread[t.worker] ?? 0) + 1;
  process.stderr.write(`cluster: task spread over workers ${JSON.stringify(spread)}\n`);
  expect(Object.keys(spread).length).toBe(2);
  expect(Object.keys(spread).some((w) => w.endsWith(`:${a.pid}`))).toBe(true);
  // Nothing left running from the killed worker.
  expect(() => execFileSync('pgrep', ['-f', markers])).toThrow();

  // SQL visibility finds it through ptq's search attributes.
  const failed = await waitFor(async () => {
    const runs = await json<Array<{ id: string; status: string }>>(['list', '--status', 'failed']);
    return runs.find((r) => r.id === id);
  }, 30_000);
  expect(failed.status).toBe('failed');

  // A schedule fires on the cluster's own scheduler (the system worker, over mTLS too).
  const small = {
    name: 'cluster-scheduled',
    tasks: [{ id: 'hello', run: { type: 'shell', command: ['echo', 'hi'] } }],
  };
  writeFileSync(join(dir, 'small.json'), JSON.stringify(small));
  const scheduleId = `cluster-sched-${Date.now().toString(36)}`;
  const created = await run([
    'schedule',
    'create',
    '--plan',
    join(dir, 'small.json'),
    '--every',
    '5s',
    '--id',
    scheduleId,
    '--task-queue',
    QUEUE,
  ]);
  expect(created.code).toBe(0);
  const fired = await waitFor(async () => {
    const runs = await json<Array<{ id: string; status: string }>>(['list', '--plan', 'cluster-scheduled']);
    return runs.find((r) => r.status === 'succeeded');
  }, 60_000);
  expect(fired.id.startsWith(scheduleId)).toBe(true);
  expect((await run(['schedule', 'delete', scheduleId])).code).toBe(0);

  // The server restarts while a second run is in flight; the run finishes.
  const chain = {
    name: 'cluster-restart',
    maxConcurrency: 5,
    tasks: Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, run: { type: 'shell', command: ['sleep', '1'] } })),
  };
  writeFileSync(join(dir, 'restart.json'), JSON.stringify(chain));
  const second = `cluster-restart-${Date.now().toString(36)}`;
  expect((await run(['start', '--plan', join(dir, 'restart.json'), '--id', second, '--task-queue', QUEUE])).code).toBe(
    0,
  );
  await waitFor(async () => {
    const p = await json<{ counts: { succeeded: number } }>(['status', second]).catch(() => undefined);
    return p && p.counts.succeeded >= 5 ? p : undefined;
  }, 60_000);
  await cluster.restartServer();
  const after = await run(['result', second, '--json']);
  expect(after.code).toBe(0);
  expect((JSON.parse(after.stdout) as Summary).counts).toMatchObject({ succeeded: 30, failed: 0 });
}, 600_000);

it('refuses a client without the certificate: one line, exit 3', async () => {
  const r = await run(['list'], { TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' });
  expect(r.code).toBe(3);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`cannot reach Temporal at ${cluster.address}`);
});

it('sends an API key as a bearer token over TLS, from the CLI and from a worker', async () => {
  // A TLS gRPC endpoint that records the metadata each call carries and refuses it, as Temporal
  // Cloud does for a wrong key.
  const seen: IncomingHttpHeaders[] = [];
  const server = createSecureServer({
    cert: readFileSync(cluster.certs.serverCert),
    key: readFileSync(cluster.certs.serverKey),
  });
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'bad key' },
      { endStream: true },
    );
  });
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  const env = {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_TLS_CLIENT_CERT_PATH: '',
    TEMPORAL_TLS_CLIENT_KEY_PATH: '',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: cluster.certs.ca,
  };
  try {
    const cli = await run(['list', '--api-key', 'cli-key-123'], env);
    expect(cli.code).not.toBe(0);
    const worker = await run(['worker', '--task-queue', QUEUE], { ...env, TEMPORAL_API_KEY: 'worker-key-456' });
    expect(worker.code).not.toBe(0);
  } finally {
    server.close();
  }
  const auth = seen.map((h) => h.authorization);
  expect(auth).toContain('Bearer cli-key-123');
  expect(auth).toContain('Bearer worker-key-456');
  expect(seen.every((h) => String(h[':path']).startsWith('/temporal.api.workflowservice.v1.WorkflowService/'))).toBe(
    true,
  );
}, 60_000);
