// A tiny local HTTP API standing in for yours: accepts one POST /orders, answers 201 with how many
// orders it took, then exits. It gives up after 60 s without a request.
const { createServer } = require('node:http');

const port = Number(process.argv[2]);
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url.startsWith('/orders')) return res.writeHead(404).end();
    const { orders } = JSON.parse(body);
    console.log(`received ${orders.length} orders for ${req.headers['x-run']} (${req.url})`);
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: orders.length }));
    server.close();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
setTimeout(() => process.exit(1), 60_000).unref();
