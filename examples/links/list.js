// Lists the file paths a Markdown file mentions (`src/x.ts`, [text](docs/y.md)) as map items:
// [{"url": "src/x.ts", "line": 12}, ...]. The list is only known once the run reads the file.
const { readFileSync } = require('node:fs');

const file = process.argv[2] ?? 'README.md';
const seen = new Set();
const items = [];
readFileSync(file, 'utf8')
  .split('\n')
  .forEach((text, i) => {
    for (const m of text.matchAll(/`((?:\.\/)?[\w.-]+\/[\w./-]*\.\w+)`|\]\(([^)#\s:]+)\)/g)) {
      const url = m[1] ?? m[2];
      if (url.includes('*') || seen.has(url)) continue;
      seen.add(url);
      items.push({ url, line: i + 1 });
    }
  });
process.stdout.write(JSON.stringify(items));
