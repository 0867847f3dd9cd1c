import { createServer } from 'node:http';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { fetch } from 'undici';
import { runHttp } from '../src/activities/steps/http';
import { guardedAgent } from '../src/activities/steps/netGuard';

async function main() {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as any).port;
  const mode = process.argv[2];
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 20 }, async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    for (let i = 0; i < 200; i++) {
      if (mode === 'ptq') await env.run(runHttp, { type: 'http', method: 'GET', url: `http://127.0.0.1:${port}/i/${i}` } as any);
      else if (mode === 'agent') { const r = await fetch(`http://127.0.0.1:${port}/i/${i}`, { dispatcher: guardedAgent }); await r.text(); }
      else if (mode === 'reader') { const r = await fetch(`http://127.0.0.1:${port}/i/${i}`, { dispatcher: guardedAgent, redirect: 'manual' }); const rd = r.body!.getReader(); for(;;){const {done}=await rd.read(); if(done)break;} await rd.cancel(); }
    }
  }));
  console.log(mode, Date.now() - t0, 'ms');
  server.close();
}
main();
