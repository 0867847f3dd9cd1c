// Transform: reads the file the extract task produced and prints a summary as JSON.
const { readFileSync } = require('node:fs');

const orders = JSON.parse(readFileSync(process.argv[2], 'utf8')).filter((o) => o.qty > 0);
const total = orders.reduce((sum, o) => sum + o.qty * o.price, 0);
process.stdout.write(JSON.stringify({ orders, total }));
