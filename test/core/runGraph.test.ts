import { runGraph } from '../../src/core';
import { plan } from '../helpers';

const echo = { type: 'shell' as const, command: ['echo', 'x'] };

const demo = plan({
  name: 'graph-demo',
  maxConcurrency: 2,
  groups: { api: { before: [echo] } },
  tasks: [
    { id: 'a', estimate: '1s', run: echo },
    { id: 'slow', dependsOn: ['a'], estimate: '10s', run: echo },
    { id: 'fast', dependsOn: ['a'], estimate: '1s', group: 'api', run: echo },
    { id: 'end', dependsOn: ['slow', 'fast'], estimate: '1s', run: echo },
    { id: 'items', map: { items: { range: [0, 50_000] }, maxParallel: 10 }, run: echo },
  ],
  finally: [{ id: 'tidy', run: echo }],
});

describe('a run as the dashboard draws it (runGraph)', () => {
  it('marks the longest path by estimate, and by measured durations once tasks ran', () => {
    const planned = runGraph(demo);
    expect(planned.criticalPath).toEqual(['items']); // 50,000 items in waves of 2 outweigh everything
    const measured = runGraph(demo, { items: 2_000, slow: 500, fast: 30_000 });
    expect(measured.criticalPath).toEqual(['a', 'api:before', 'fast', 'end']);
    expect(measured.criticalPathMs).toBe(1_000 + 1_000 + 30_000 + 1_000);
    expect(measured.lowerBoundMs).toBe(Math.max(measured.criticalPathMs, measured.workMs / 2));
  });

  it("keeps groups, phases, finally, maps and each task's level, and which tasks have a workflow of their own", () => {
    const byId = Object.fromEntries(runGraph(demo).tasks.map((t) => [t.id, t]));
    expect(byId['api:before']).toMatchObject({ phase: 'before', group: 'api', level: 1 });
    expect(byId.fast).toMatchObject({ group: 'api', dependsOn: ['a', 'api:before'], level: 2 });
    expect(byId.tidy).toMatchObject({ final: true });
    expect(byId.items).toMatchObject({ map: { size: 50_000, maxParallel: 10 }, child: true });
    expect(byId.end.level).toBe(3);
  });
});
