import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient, startRun } from '../src/client';
import { freePort } from '../src/temporal/devServer';
import { plan, runId, withWorker } from './helpers';
import { ptq, ptqLive, spawnPtq } from './support/cli';
import { alive, readPid, waitFor, writePid } from './support/processes';
import { startWorkerProcess } from './support/workers';

const dir = mkdtempSync(join(tmpdir(), 'ptq-lifecycle-'));

/** A plan of one shell task that writes its pid to `pidFile` and then sleeps. */
function sleeper(name: string, pidFile: string) {
  return plan({
    name,
    defaults: { heartbeatTimeout: '2s' },
    tasks: [{ id: 'sleep', run: { type: 'shell', command: ['sh', '-c', `${writePid(pidFile)}; exec sleep 600`] } }],
  });
}

/** `ptq list --plan NAME --json`, parsed. */
async function listed(name: string, ...args: string[]): Promise<Array<{ id: string; status: string }>> {
  const r = await ptq(['list', '--plan', name, '--json', ...args]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('run lifecycle from the CLI: terminate, stale statuses, a watch without a worker', () => {
  it('terminate ends a run that no worker polls; list, status and result then say it was terminated', async () => {
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const name = runId('orphaned');
    const id = runId('terminate');
    const queue = runId('nobody');
    try {
      await startRun(client, sleeper(name, join(dir, 'never.pid')), { id, taskQueue: queue });
      // Visibility follows the start by a moment.
      await waitFor(async () => (await listed(name, '--status', 'running')).some((r) => r.id === id));

      const terminated = await ptq(['terminate', id, '--reason', 'worker pool gone']);
      expect(terminated).toMatchObject({ code: 0, stdout: `terminated ${id}\n`, stderr: '' });

      // ptq's own status attribute still says "running": the execution's status wins.
      expect(await listed(name)).toMatchObject([{ id, status: 'terminated' }]);
      expect(await listed(name, '--status', 'running')).toEqual([]);
      expect(await listed(name, '--status', 'terminated')).toMatchObject([{ id, status: 'terminated' }]);
      const table = await ptq(['list', '--plan', name]);
      expect(table.stdout.split('\n')[1]).toMatch(new RegExp(`^${id} +terminated `));

      const status = await ptq(['status', id]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`${id}: terminated  (${name})`);
      expect(status.stdout).toContain('the run was terminated on the server, so it ended without a summary');
      expect(JSON.parse((await ptq(['status', id, '--json'])).stdout)).toMatchObject({
        source: 'server',
        status: 'terminated',
      });

      const result = await ptq(['result', id]);
      expect(result.code).toBe(130);
      expect(result.stderr).toBe(
        `ptq: run "${id}" was terminated (worker pool gone), so it has no summary: \`ptq status ${id}\` shows what the server knows of it\n`,
      );

      expect(JSON.parse((await ptq(['terminate', id, '--json'])).stdout)).toEqual({
        id,
        terminated: false,
        status: 'terminated',
      });
      expect(await ptq(['terminate', id])).toMatchObject({ code: 0, stdout: `${id} already ended (terminated)\n` });
      expect(await ptq(['terminate', runId('no-such-run')])).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^ptq: no run with id "no-such-run-\w+": see `ptq list`\n$/),
      });
    } finally {
      await client.connection.close();
    }
  }, 180_000);

  it("terminate stops a running step's process, and the run ends terminated, not cancelled", async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const pidFile = join(dir, 'live.pid');
      const id = runId('terminate-live');
      await startRun(client, sleeper(runId('live'), pidFile), { id, taskQueue });
      const pid = await readPid(pidFile);
      expect(alive(pid)).toBe(true);
      expect((await ptq(['terminate', id])).stdout).toBe(`terminated ${id}\n`);
      // The step learns at its next heartbeat (2 s here) that its task is gone, and its group is killed.
      await waitFor(() => !alive(pid), 20_000);
      expect((await client.workflow.getHandle(id).describe()).status.name).toBe('TERMINATED');
    });
  });

  it('a worker killed with -9 leaves a run nobody can run; terminate ends it without a worker, and no step runs again', async () => {
    const queue = runId('killed');
    const pidFile = join(dir, 'killed.pid');
    const id = runId('terminate-dead');
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const worker = await startWorkerProcess(queue);
    try {
      await startRun(client, sleeper(runId('dead'), pidFile), { id, taskQueue: queue });
      const pid = await readPid(pidFile);
      worker.child.kill('SIGKILL');
      await worker.exited;
      // The worker's reaper kills the step it left behind.
      await waitFor(() => !alive(pid), 10_000);
      rmSync(pidFile);

      expect(await ptq(['terminate', id, '--reason', 'host lost'])).toMatchObject({ code: 0, stderr: '' });
      expect((await client.workflow.getHandle(id).describe()).status.name).toBe('TERMINATED');

      // A worker that comes back finds nothing to do: the step does not start again.
      const again = await startWorkerProcess(queue);
      try {
        await new Promise((r) => setTimeout(r, 4_000));
        expect(existsSync(pidFile)).toBe(false);
      } finally {
        again.child.kill('SIGINT');
        await again.exited;
      }
    } finally {
      worker.child.kill('SIGKILL');
      await client.connection.close();
    }
  }, 120_000);

  it('watch on a run that no worker polls says so within seconds, and ends with one line when the run is terminated', async () => {
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const queue = runId('unpolled');
    const id = runId('watch-idle');
    try {
      await startRun(client, sleeper(runId('idle'), join(dir, 'idle.pid')), { id, taskQueue: queue });
      const watch = ptqLive(['watch', id]);
      const said = `waiting: no worker is polling task queue "${queue}": start one with \`ptq worker --task-queue ${queue}\``;
      await waitFor(() => watch.stderr().includes(said));
      await ptq(['terminate', id]);
      const watched = await watch.result;
      expect(watched.code).toBe(130);
      expect(watched.stderr).toBe(
        `${said}\nptq: run "${id}" was terminated (terminated from the CLI), so it has no summary: \`ptq status ${id}\` shows what the server knows of it\n`,
      );
    } finally {
      await client.connection.close();
    }
  });

  it('POST /runs/{id}/terminate ends a run without a worker; GET /runs/{id} then shows it terminated', async () => {
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const token = 'lifecycle-token';
    writeFileSync(join(dir, 'token'), token);
    const port = await freePort();
    const server = spawnPtq(['serve', '--port', String(port), '--token-file', join(dir, 'token')]);
    let said = '';
    server.stderr?.on('data', (c: Buffer) => (said += c.toString()));
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    try {
      await waitFor(() => said.includes('ptq API on') || undefined);
      const id = runId('api-terminate');
      await startRun(client, sleeper(runId('api'), join(dir, 'api.pid')), { id, taskQueue: runId('nobody') });
      expect(await call('POST', `/runs/${id}/terminate`, { reason: 'from a script' })).toEqual({
        status: 200,
        json: { id, done: 'terminated' },
      });
      expect(await call('POST', `/runs/${id}/terminate`, {})).toEqual({
        status: 200,
        json: { id, done: 'already ended (terminated)' },
      });
      expect(await call('GET', `/runs/${id}`)).toMatchObject({
        status: 200,
        json: { id, status: 'terminated', server: { status: 'terminated' } },
      });
    } finally {
      server.kill('SIGINT');
      await client.connection.close();
    }
  });
});
