// A small research corpus on 127.0.0.1, so examples/sources.yaml runs offline: a document citing
// 30 sources, of which 18 are papers (3 of them titled by their own JavaScript), 4 redirect to a
// paper, 4 are dead and 4 are not papers. It serves until GET /stop, or for 10 minutes at most.
// Usage: node examples/sources/corpus.mjs [PORT]
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8399);
const base = `http://127.0.0.1:${port}`;
const topics = ['durable execution', 'task graphs', 'list scheduling', 'work stealing', 'fault tolerance'];

/** The 30 cited links, in the document's order. */
const links = [
  ...Array.from({ length: 18 }, (_, i) => `${base}/papers/${i + 1}`),
  ...[19, 20, 21, 22].map((n) => `${base}/doi/${n}`),
  ...[1, 2, 3, 4].map((n) => `${base}/gone/${n}`),
  ...[1, 2, 3, 4].map((n) => `${base}/blog/${n}`),
];

const page = (title, body, head = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;

function paper(n) {
  const title = `On ${topics[n % topics.length]}, part ${n}`;
  const doi = `10.5555/ptq.${n}`;
  // Papers 3, 6 and 9 are single-page apps: the title, heading and DOI exist only once their script ran.
  if (n % 3 === 0 && n <= 9)
    return page(
      'Loading…',
      `<div id="app"></div><script>
        document.title = ${JSON.stringify(title)};
        document.getElementById('app').innerHTML = '<h1>' + document.title + '</h1><p>Abstract.</p>';
        const m = document.createElement('meta'); m.name = 'citation_doi'; m.content = ${JSON.stringify(doi)};
        document.head.appendChild(m);
      </script>`,
    );
  return page(
    title,
    `<h1>${title}</h1><p>Abstract. We study ${topics[n % topics.length]}.</p>`,
    `<meta name="citation_doi" content="${doi}">`,
  );
}

const document = page(
  'A survey of durable task queues',
  `<h1>A survey of durable task queues</h1><ol>${links.map((l) => `<li><a href="${l}">${l}</a></li>`).join('')}</ol>`,
);

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const send = (status, html, headers = {}) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
    res.end(html);
  };
  let m;
  if (url === '/paper.html') return send(200, document);
  if (url === '/links.json') return send(200, JSON.stringify(links), { 'content-type': 'application/json' });
  if ((m = /^\/papers\/(\d+)$/.exec(url)) && Number(m[1]) <= 22) return send(200, paper(Number(m[1])));
  if ((m = /^\/doi\/(\d+)$/.exec(url))) return send(301, '', { location: `/papers/${m[1]}` });
  if ((m = /^\/blog\/(\d+)$/.exec(url))) return send(200, page(`Ten tips for queues (${m[1]})`, '<h1>Tips</h1>'));
  if (url === '/stop') {
    send(200, 'stopping');
    return setImmediate(() => process.exit(0));
  }
  send(404, page('Not found', '<h1>404</h1>'));
});
server.listen(port, '127.0.0.1', () => console.log(`corpus on ${base}/paper.html`));
setTimeout(() => process.exit(0), 10 * 60_000).unref();
