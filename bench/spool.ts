/**
 * A map's item spool, written beside a worker's other work: how long a large `range` takes to
 * spool and the longest the event loop (and so every heartbeat of the worker) waited meanwhile.
 * No server: `openItems` runs in a mock activity context, with a 10 ms timer standing in for the
 * worker's other activities. A source over MAX_MAP_ITEMS is refused once the spool passes it.
 * Usage: npx tsx bench/spool.ts [ITEMS]   (default 10,000,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { openItems, type OpenedItems } from '../src/activities/map/items';
import type { ItemSource } from '../src/core';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000_000);
  process.env.PTQ_DATA_DIR = mkdtempSync(join(tmpdir(), 'ptq-spool-'));
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  let lastBeat = performance.now();
  let beatGap = 0;
  env.on('heartbeat', () => {
    const now = performance.now();
    beatGap = Math.max(beatGap, now - lastBeat);
    lastBeat = now;
  });
  let lastTick = performance.now();
  let loopGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    loopGap = Math.max(loopGap, now - lastTick);
    lastTick = now;
  }, 10);
  const t0 = performance.now();
  let outcome: string;
  try {
    const source: ItemSource = { range: [0, n] };
    const opened = (await env.run(openItems, { mapId: 'bench/spool', source })) as OpenedItems;
    outcome = `${opened.total} items spooled`;
  } catch (err) {
    outcome = `refused: ${(err as Error).message}`;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  loopGap = Math.max(loopGap, performance.now() - lastTick);
  beatGap = Math.max(beatGap, performance.now() - lastBeat);
  rmSync(process.env.PTQ_DATA_DIR, { recursive: true, force: true });
  console.log(`range of ${n.toLocaleString('en-US')}: ${outcome} in ${seconds.toFixed(1)} s`);
  console.log(`longest event-loop gap ${loopGap.toFixed(0)} ms, longest heartbeat gap ${beatGap.toFixed(0)} ms`);
}

void main();
