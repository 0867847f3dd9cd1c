// Writes the sources example's report from the map's results file (one JSON line per item) when
// no model is configured. Usage: node examples/sources/report.mjs RESULTS.jsonl
import { readFileSync } from 'node:fs';

const results = readFileSync(process.argv[2], 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const papers = results.filter((r) => r.ok && r.json?.doi);
const notPapers = results.filter((r) => r.ok && !r.json?.doi);
const broken = results.filter((r) => !r.ok);
console.log(`${papers.length} papers verified, ${notPapers.length} pages without a DOI, ${broken.length} broken links`);
for (const r of papers) console.log(`paper  ${r.json.doi}  ${r.json.title}`);
for (const r of notPapers) console.log(`no DOI ${r.item.url}  ${r.json.title}`);
for (const r of broken) console.log(`broken ${r.item.url}  ${r.error ?? ''}`.trimEnd());
