import { startRun, summaryOf } from '../src/client';
import { generationsOf, plan, runId, withWorker } from './helpers';

jest.setTimeout(180_000);

describe('a big plan across continue-as-new', () => {
  it('measures no plan it does not carry: later generations read it and check only their state, and the run ends', () =>
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
      // Local activities: the first generation checks the plan, and carries not it but where it is
      // (so nothing to measure); the others read it, one each (before, each measured its input).
      expect(measures).toEqual([1, ...gens.slice(1).map(() => 1)]);
    }));
});
