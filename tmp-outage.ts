import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startRun, summaryOf } from './src/client';
import { dataConverter } from './src/codec';
import { Plan } from './src/core';
import { freePort, startDevServer } from './src/devServer';
import { ledgerTask, readLedger } from './test/support/ledger';
import { waitFor } from './test/support/processes';
import { startWorkerProcess } from './test/support/workers';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-outage-dbg-'));
  console.log(dir);
  const ledger = join(dir, 'ledger');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const db = join(dir, 'temporal.db');
  let server = await startDevServer({ port, db, headless: true });
  const ids = ['a', 'b'];
  const plan = Plan.parse({ maxConcurrency: 4, defaults: { execution: 'child', heartbeatTimeout: '2s', retry: { maximumAttempts: 10, initialInterval: '100ms' } }, tasks: ids.map((id) => ledgerTask(id, ledger, 300)) });
  const queue = `dbg-${randomUUID()}`;
  const w = await startWorkerProcess(queue, [], { TEMPORAL_ADDRESS: address, PTQ_DATA_DIR: join(dir, 'data') });
  w.child.stderr?.on('data', (c: Buffer) => process.stdout.write(`[worker] ${c}`));
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter });
  const handle = await startRun(client, plan, { taskQueue: queue });
  console.log('run', handle.workflowId);
  await waitFor(() => readLedger(ledger).length === ids.length, 60_000);
  console.log('stopping server', new Date().toISOString());
  await server.stop();
  await new Promise((r) => setTimeout(r, 20_000));
  server = await startDevServer({ port, db, headless: true });
  console.log('server back', new Date().toISOString());
  const t = setInterval(async () => {
    for (const id of ids) {
      const d = await client.workflow.getHandle(`${handle.workflowId}/${id}`).describe().catch((e) => undefined);
      const pa = d?.raw.pendingActivities?.[0];
      console.log(new Date().toISOString(), id, pa ? JSON.stringify({ st: pa.state, at: pa.attempt, hb: pa.lastHeartbeatTime, started: pa.lastStartedTime, w: pa.lastWorkerIdentity, f: pa.lastFailure?.message }) : 'none');
    }
  }, 1000);
  const s = await Promise.race([summaryOf(handle), new Promise((r) => setTimeout(() => r('TIMEOUT'), 90_000))]);
  clearInterval(t);
  console.log('summary', typeof s === 'string' ? s : (s as any).status);
  console.log(readFileSync(ledger, 'utf8').split('\n').filter(l => !l.startsWith('tick')).join('\n'));
  w.child.kill('SIGKILL');
  await server.stop();
  process.exit(0);
}
void main();
