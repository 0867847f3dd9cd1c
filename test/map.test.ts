import { readFileSync } from 'node:fs';
import { startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';

/** Reads a map's results file: one JSON record per line. */
function readResults(
  path: string,
): Array<{ index: number; item: unknown; ok: boolean; output: string; json: unknown }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('map', () => {
  it('runs the steps once per item of a literal list and writes the results', () =>
    withWorker(async ({ client, taskQueue }) => {
      const p = plan({
        tasks: [
          {
            id: 'each',
            map: { items: ['a', 'b b', 'c'], maxParallel: 2 },
            run: { type: 'shell', command: ['echo', 'item={{item}} index={{index}}'] },
          },
          { id: 'after', dependsOn: ['each'], run: { type: 'shell', command: ['wc', '-l', '{{tasks.each.results}}'] } },
        ],
      });
      const handle = await startRun(client, p, { id: runId('map-literal'), taskQueue });
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      const each = summary.tasks.find((t) => t.id === 'each');
      expect(each?.output).toContain('3 items, 3 succeeded, 0 failed');
      const after = summary.tasks.find((t) => t.id === 'after');
      const path = /(\S+results\.jsonl)/.exec(after?.output ?? '')?.[1] as string;
      expect(after?.output).toMatch(/^3 /);
      const results = readResults(path);
      expect(results.map((r) => r.output.trim())).toEqual(['item=a index=0', 'item=b b index=1', 'item=c index=2']);
    }));
});
