import { startRun, summaryOf } from '../src/client';
import { generationsOf, plan, runId, withWorker } from './helpers';

jest.setTimeout(180_000);

describe('a big plan across continue-as-new', () => {
  it('measures the plan once: later generations check only their state, and the run ends as usual', () =>
    withWorker(async ({ client, taskQueue }) => {
      // 60 tasks with 50 KB of padding each: 3 MB of plan JSON (over the size that needs measuring)
      // that gzips to almost nothing; the state stays small.
      const tasks = Array.from({ length: 60 }, (_, i) => ({
        id: `t${i}`,
        run: { type: 'shell' as const, command: ['true'], env: { PAD: 'x'.repeat(50_000) } },
      }));
      const id = runId('plan-once');
      const p = plan({ defaults: { execution: 'inline' }, maxConcurrency: 4, tasks });
      const summary = await summaryOf(await startRun(client, p, { id, taskQueue, continueAsNewAfter: 15 }));
      expect(summary.status).toBe('succeeded');
      expect(summary.counts.succeeded).toBe(60);
      const gens = (await generationsOf(client, id)).sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
      expect(gens.length).toBeGreaterThanOrEqual(4);
      const measures: number[] = [];
      for (const g of gens) {
        const events = (await client.workflow.getHandle(id, g.runId).fetchHistory()).events ?? [];
        measures.push(
          events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
        );
      }
      // Local activities: the first generation checks the plan and measures it before it continues;
      // the others carry that size (before, each measured its whole input: one each).
      expect(measures).toEqual([2, ...gens.slice(1).map(() => 0)]);
    }));
});
