import { createServer } from 'node:http';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { runItemBatch } from '../src/activities/map/itemBatch';
import { Plan } from '../src/core';

async function main() {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1}'));
  let conns = 0; server.on('connection', () => conns++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as any).port;
  const p = Plan.parse({ name: 'x', tasks: [{ id: 'each', output: 'json', map: { items: { range: [0, 10] }, batch: 200 }, run: { type: 'http', url: `http://127.0.0.1:${port}/i/{{item}}`, expectStatus: [200] } }] });
  const steps = [p.tasks[0].run as any];
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: 20 }, async (_, b) => {
    const items = Array.from({ length: 200 }, (_, i) => ({ index: b * 200 + i, item: b * 200 + i }));
    await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(runItemBatch, { steps, items, context: { tasks: {}, params: {}, run: { id: 'r' }, task: { id: 'each' } } as any, jsonLimit: 1000 });
  }));
  const c = process.cpuUsage(c0);
  console.log('conns', conns, '4000 items, 20 batches at once', Date.now() - t0, 'ms wall', (c.user + c.system) / 1000, 'ms cpu');
  server.close();
}
main();
