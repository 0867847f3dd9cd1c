import { startRun, summaryOf } from '../src/client';
import { generationsOf, plan, runId, withWorker } from './helpers';

jest.setTimeout(180_000);

describe('generations of a big plan run', () => {
  it('hold twice the history Temporal suggests (4,096 events) before continuing as new', async () => {
    let calls = 0;
    const noop = async () => {
      calls++;
      return 'ok';
    };
    // About three events a task: 1,800 tasks pass the suggestion once, and stay under 8,192 events.
    const tasks = Array.from({ length: 1_800 }, (_, i) => ({
      id: `t${i}`,
      run: { type: 'activity' as const, name: 'noop', input: {} },
    }));
    const p = plan({ maxConcurrency: 100, defaults: { execution: 'inline' }, tasks });
    await withWorker(
      async ({ client, taskQueue }) => {
        const id = runId('long-generation');
        const summary = await summaryOf(await startRun(client, p, { id, taskQueue }));
        expect(summary.counts).toMatchObject({ total: 1_800, succeeded: 1_800 });
        const runs = await generationsOf(client, id);
        expect(runs).toHaveLength(1);
        expect(runs[0].historyLength).toBeGreaterThan(4_096);
        expect(runs[0].historyLength).toBeLessThan(8_192);
      },
      { activities: { noop } },
    );
    expect(calls).toBe(1_800);
  });
});
