import { randomUUID } from 'node:crypto';
import { execSync } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Plan } from '../src/core';
import { startRun } from '../src/client';
import { startDevServer } from '../src/devServer';
import { createActivities } from '../src/activities';
Runtime.install({ logger: new DefaultLogger('ERROR') });
const cpu = (pid: number) => execSync(`ps -o times= -p ${pid}`).toString().trim();
async function main() {
  const server = await startDevServer({ headless: true, db: process.env.DB });
  const nc = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const tq = 'x' + randomUUID();
  const worker = await Worker.create({
    connection: nc,
    taskQueue: tq,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities({ userActivities: { noop: async () => null } }),
    maxConcurrentActivityTaskExecutions: 500,
  });
  await worker.runUntil(async () => {
    const n = 200;
    const plan = Plan.parse({
      maxConcurrency: 50,
      tasks: Array.from({ length: n }, (_, i) => ({ id: `t${i}`, run: { type: 'activity', name: 'noop' } })),
    });
    const s0 = cpu(server.process.pid!),
      w0 = process.cpuUsage();
    const t0 = Date.now();
    await (await startRun(client, plan, { taskQueue: tq })).result();
    const dt = Date.now() - t0;
    const w = process.cpuUsage(w0);
    console.log(
      `ptq ${n} tasks in ${dt}ms = ${((n / dt) * 1000).toFixed(1)}/s; server cpu ${s0} -> ${cpu(server.process.pid!)}; worker cpu user ${(w.user / 1000).toFixed(0)}ms sys ${(w.system / 1000).toFixed(0)}ms`,
    );
  });
  await server.stop();
  process.exit(0);
}
main();
