// Checks one link: prints {"url": ..., "broken": true|false} as JSON (the item's output).
const { existsSync } = require('node:fs');

const url = process.argv[2];
process.stdout.write(JSON.stringify({ url, broken: !existsSync(url) }));
