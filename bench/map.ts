import { summaryOf } from '../src/client';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startRun } from '../src/client';
import { Plan } from '../src/core';
import { taskWorkflowId } from '../src/shared';
import { runningWith } from '../test/support/processes';
import { ratioRow, type BenchContext, type Rows } from './support';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1];

/** A plan of one map over `n` no-op items at `parallel`. */
const noopMap = (n: number, parallel: number) =>
  Plan.parse({
    name: `map-${n}`,
    maxConcurrency: parallel,
    tasks: [
      {
        id: 'each',
        map: { items: { range: [0, n] }, maxParallel: parallel },
        run: { type: 'activity', name: 'noop', input: { id: 'm{{index}}' } },
      },
    ],
  });

/**
 * Maps, side by side with baselines in one run:
 *   - items/s of 10,000 no-op items at maxParallel 200, vs a bare activity fan-out (target >= 0.8x);
 *   - until-stop latency: from the completion that makes `until` true to every running item's
 *     process gone, p50/p99 over 20 stops, vs a bare workflow cancelled with the same processes.
 */
export async function map({ client, taskQueue, quick }: BenchContext): Promise<Rows> {
  const n = quick ? 2_000 : 10_000;
  const parallel = 200;
  const t0 = Date.now();
  const summary = await summaryOf(await startRun(client, noopMap(n, parallel), { taskQueue }));
  if (summary.status !== 'succeeded') throw new Error(`map run ${summary.status}: ${summary.tasks[0].error}`);
  const ptqRate = n / ((Date.now() - t0) / 1000);
  const t1 = Date.now();
  await client.workflow.execute('bareFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [n, parallel] });
  const bareRate = n / ((Date.now() - t1) / 1000);
  const stops = await untilStops(client, taskQueue, quick ? 5 : 20);
  return [
    ratioRow(`map: ${n} no-op items, maxParallel ${parallel} (items/s)`, ptqRate, bareRate, '>= 0.8x'),
    ratioRow('map: until -> running items gone, p50 (ms)', pct(stops.ptq, 50), pct(stops.bare, 50), '', 0),
    ratioRow(
      `map: until -> running items gone, p99 of ${stops.ptq.length} (ms)`,
      pct(stops.ptq, 99),
      pct(stops.bare, 99),
      '<= 1000 ms',
      0,
    ),
  ];
}

/**
 * Each stop: 10 items run, 9 sleep, item 3 ends after 300 ms, which makes `until: last.ok` true.
 * Measured from item 3's exit (it writes the time) to the other 9 processes gone. Baseline: the same 9
 * sleeping processes as bare activities, from the workflow cancel request to them gone.
 */
async function untilStops(
  client: Client,
  taskQueue: string,
  count: number,
): Promise<{ ptq: number[]; bare: number[] }> {
  const ptq: number[] = [];
  const bare: number[] = [];
  for (let k = 0; k < count; k++) {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-bench-until-'));
    // No `exec`: the shell keeps the folder in its argv, which tells its processes apart (runningWith).
    const script = `if [ "$1" = 3 ]; then sleep 0.3; date +%s%3N > "$2/stop.tmp"; mv "$2/stop.tmp" "$2/stop"; exit 0; fi; sleep 60`;
    const p = Plan.parse({
      name: 'until-stop',
      maxConcurrency: 10,
      tasks: [
        {
          id: 'scan',
          map: { items: { range: [0, 20] }, maxParallel: 10, until: 'last.ok' },
          run: { type: 'shell', command: ['sh', '-c', script, 'sh', '{{index}}', dir] },
        },
      ],
    });
    const handle = await startRun(client, p, { taskQueue });
    await waitUntil(() => existsSync(join(dir, 'stop')));
    const stopAt = Number(readFileSync(join(dir, 'stop'), 'utf8'));
    await waitUntil(() => runningWith(dir).length === 0, 2);
    ptq.push(Date.now() - stopAt);
    await summaryOf(handle);

    const steps = Array.from({ length: 9 }, (_, i) => ({
      type: 'shell' as const,
      command: ['sh', '-c', ': > "$2/bare-$1"; sleep 60', 'sh', String(i), dir],
    }));
    const wf = await client.workflow.start('bareShellFanOut', {
      taskQueue,
      workflowId: `bare-${randomUUID()}`,
      args: [steps],
    });
    await waitUntil(() => steps.every((_, i) => existsSync(join(dir, `bare-${i}`))));
    await new Promise((r) => setTimeout(r, 300));
    const cancelAt = Date.now();
    await wf.cancel();
    await waitUntil(() => runningWith(dir).length === 0, 2);
    bare.push(Date.now() - cancelAt);
    await summaryOf(wf).catch(() => undefined);
  }
  return { ptq, bare };
}

/**
 * 100,000 items at maxParallel 200 (`--scale`): time, peak RSS of worker and client, the largest
 * payload in any event of any generation of the map, and the most events in one of its histories.
 */
export async function mapScale({ client, taskQueue }: BenchContext): Promise<Rows> {
  const n = 100_000;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  const t0 = Date.now();
  const handle = await startRun(client, noopMap(n, 200), { taskQueue });
  const summary = await summaryOf(handle);
  const secs = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const mapId = taskWorkflowId(handle.workflowId, 'each');
  let runs = 0;
  let maxEvents = 0;
  let largest = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${mapId}'` })) {
    runs++;
    maxEvents = Math.max(maxEvents, wf.historyLength);
    const history = await client.workflow.getHandle(mapId, wf.runId).fetchHistory();
    for (const event of history.events ?? []) largest = Math.max(largest, largestPayload(event));
  }
  const what = `map: ${n} items, maxParallel 200`;
  return [
    [
      `${what} (${summary.status}: ${summary.tasks[0].output?.split('\n')[0]})`,
      `${secs.toFixed(0)}s`,
      `${(n / secs).toFixed(0)} items/s`,
      '',
      '',
    ],
    [`${what}: map runs, most events in one`, `${runs}, ${maxEvents}`, '', '', 'events < 10,000'],
    [`${what}: largest payload in any event (KB, as stored)`, (largest / 1024).toFixed(0), '', '', '< 2,048'],
    [`${what}: peak RSS of worker + client (MB)`, (peakRss / 1e6).toFixed(0), '', '', '< 1,000'],
  ];
}

/** The biggest payload (`{metadata, data}`) anywhere in a history event: inputs, results, pages, batches. */
function largestPayload(value: unknown): number {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return 0;
  const v = value as Record<string, unknown>;
  let max = v.data instanceof Uint8Array && 'metadata' in v ? v.data.length : 0;
  for (const child of Object.values(v)) max = Math.max(max, largestPayload(child));
  return max;
}

async function waitUntil(probe: () => boolean, everyMs = 10): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('bench: timed out waiting');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `--scale`: a 3,000-wide map (thirty shards of 100) next to its bare baseline in the same run: six
 * bare fan-outs of 500 activities each at once, the same 3,000 in flight without ptq.
 */
export async function mapWide({ client, taskQueue, quick }: BenchContext): Promise<Rows> {
  const n = quick ? 6_000 : 30_000;
  const wide = 3_000;
  const b0 = Date.now();
  await Promise.all(
    Array.from({ length: wide / 500 }, (_, k) =>
      client.workflow.execute('bareFanOut', {
        taskQueue,
        workflowId: `wide-bare-${k}-${Date.now()}`,
        args: [n / (wide / 500), 500],
      }),
    ),
  );
  const bare = n / ((Date.now() - b0) / 1000);
  const t0 = Date.now();
  const handle = await startRun(client, noopMap(n, wide), { taskQueue });
  const summary = await summaryOf(handle);
  const perSec = n / ((Date.now() - t0) / 1000);
  const shards = new Set<string>();
  const prefix = `${taskWorkflowId(handle.workflowId, 'each')}/s`;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${prefix}'` }))
    shards.add(wf.workflowId);
  return [
    [
      `map: ${n} items, maxParallel ${wide} (${summary.status}, ${shards.size} shards): items/s`,
      perSec.toFixed(0),
      `${bare.toFixed(0)} (6 bare fan-outs of 500)`,
      (perSec / bare).toFixed(2),
      '',
    ],
  ];
}
