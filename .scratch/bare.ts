import { createServer } from 'node:http';
import { fetch } from 'undici';
async function main() {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as any).port;
  const t0 = Date.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({length: 20}, async () => { for (let i = 0; i < 200; i++) { const r = await fetch(`http://127.0.0.1:${port}/i/${i}`); await r.text(); } }));
  const c = process.cpuUsage(c0);
  console.log('bare 4000 at 20', Date.now() - t0, 'ms wall', (c.user + c.system) / 1000, 'ms cpu');
  server.close();
}
main();
