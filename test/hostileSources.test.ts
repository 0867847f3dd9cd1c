import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { openItems } from '../src/activities/map/items';
import { mapDir } from '../src/activities/map/mapFiles';
import { connectClient, startRun, summaryOf } from '../src/client';
import type { ItemSource } from '../src/core';
import { plan, runId } from './helpers';
import { ledgerProblems, ledgerTask, readLedger } from './support/ledger';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * A map's item source runs in the same worker as other runs' tasks. A hostile one (a range at the
 * limit, a command that prints too many lines, a JSON array too big to parse at once) must never
 * hold the worker's event loop long enough to stop the heartbeats of those tasks: if it did, they
 * would time out and run again, or the worker would die.
 */
jest.setTimeout(180_000);

describe('hostile item sources beside an unrelated run', () => {
  const workers: WorkerProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.child.kill('SIGKILL');
  });

  it('spools or refuses them while every unrelated task runs exactly once and the worker stays up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-hostile-'));
    const ledger = join(dir, 'ledger');
    // 40 MB of JSON array: the old spool parsed and wrote it in one go, holding the loop for seconds.
    const bigJson = join(dir, 'big.json');
    writeFileSync(bigJson, JSON.stringify(Array.from({ length: 5_000_000 }, (_, i) => i)));
    const queue = `hostile-${runId('q')}`;
    const worker = await startWorkerProcess(queue);
    workers.push(worker);
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const ids = Array.from({ length: 8 }, (_, i) => `u${i}`);
    const unrelated = plan({
      maxConcurrency: 8,
      // A task whose heartbeats stop for 2 s is started again: the ledger would show it twice.
      defaults: { heartbeatTimeout: '2s', retry: { maximumAttempts: 10, initialInterval: '100ms' } },
      tasks: ids.map((id) => ledgerTask(id, ledger, 80)),
    });
    const quiet = await startRun(client, unrelated, { id: runId('unrelated'), taskQueue: queue });
    await waitFor(() => readLedger(ledger).length === ids.length || undefined, 60_000);
    const each = { type: 'shell' as const, command: ['true'] };
    const hostile = plan({
      tasks: [
        { id: 'range', map: { items: { range: [0, 1_000_000] }, maxParallel: 2, until: 'done >= 2' }, run: each },
        { id: 'flood', map: { items: { command: ['seq', '0', '1999999'] } }, run: each },
        { id: 'bigjson', map: { items: { file: bigJson } }, run: each },
      ],
    });
    const handle = await startRun(client, hostile, { id: runId('hostile'), taskQueue: queue });
    expect((await summaryOf(quiet)).status).toBe('succeeded');
    const attempts = readLedger(ledger);
    expect(ledgerProblems(attempts, ids)).toEqual([]);
    expect(attempts.map((a) => a.task).sort()).toEqual(ids);
    const summary = await summaryOf(handle);
    const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
    expect(byId.range.status).toBe('succeeded');
    expect(byId.range.output).toMatch(/^1000000 items: \d+ succeeded, .*\(stopped early: until condition met/);
    expect(byId.flood.error).toContain('items: more than 1,000,000 items: split the source into several maps');
    expect(byId.bigjson.error).toContain(
      `items: ${bigJson} is a JSON array over 16 MB: write one item a line (.jsonl)`,
    );
    expect(worker.child.exitCode).toBeNull();
    expect(worker.child.signalCode).toBeNull();
    await client.connection.close();
  });
});

describe('an item source under cancel', () => {
  it('stops spooling a long range between slices and leaves no spool behind', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const mapId = runId('cancel-spool');
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const source: ItemSource = { range: [0, 1_000_000] };
    const spooling = env.run(openItems, { mapId, source });
    setTimeout(() => env.cancel(), 20);
    await expect(spooling).rejects.toBeInstanceOf(CancelledFailure);
    expect(beats).toBeGreaterThan(0);
    expect(existsSync(mapDir(mapId))).toBe(false);
  });
});
