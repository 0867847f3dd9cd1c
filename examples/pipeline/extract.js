// Extract: writes the day's orders to a file and prints where it is, as JSON (the task's output).
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
const orders = [
  { id: 1, item: 'coffee', qty: 2, price: 3.5 },
  { id: 2, item: 'tea', qty: 1, price: 2.75 },
  { id: 3, item: 'cake', qty: 0, price: 4.0 },
];
const file = join(dir, 'orders.json');
writeFileSync(file, JSON.stringify(orders));
process.stdout.write(JSON.stringify({ file, count: orders.length }));
