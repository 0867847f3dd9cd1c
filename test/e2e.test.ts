import { summaryOf } from '../src/client';
import { startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';

describe('end to end on the real dev server', () => {
  it('runs a 3-task plan with one child workflow per task, in dependency order', async () => {
    const p = plan({
      name: 'three',
      maxConcurrency: 2,
      defaults: { execution: 'child' }, // short tasks would run inline under `auto`
      tasks: [
        { id: 'a', run: { type: 'shell', command: ['node', '-e', 'console.log("A:" + Date.now())'] } },
        {
          id: 'b',
          dependsOn: ['a'],
          run: { type: 'shell', command: ['node', '-e', 'console.log("B:" + Date.now())'] },
        },
        { id: 'c', dependsOn: ['a'], run: { type: 'shell', command: ['echo', 'hello from c'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('e2e'), taskQueue });
      const summary = await summaryOf(handle);

      expect(summary.status).toBe('succeeded');
      expect(summary.counts).toEqual({ total: 3, succeeded: 3, failed: 0, skipped: 0, cancelled: 0 });
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      expect(byId.c.output).toContain('hello from c');
      const stamp = (id: string) => Number(/[AB]:(\d+)/.exec(byId[id].output ?? '')?.[1]);
      expect(stamp('b')).toBeGreaterThan(stamp('a'));
      expect(Date.parse(byId.b.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(byId.a.endedAt as string));
      expect(byId.a.worker).toMatch(/^.+:\d+$/);

      const children: string[] = [];
      for await (const wf of client.workflow.list({
        query: `WorkflowType = 'ptqTask' AND WorkflowId STARTS_WITH '${handle.workflowId}/'`,
      })) {
        children.push(wf.workflowId);
      }
      expect(children.sort()).toEqual(['a', 'b', 'c'].map((t) => `${handle.workflowId}/${t}`));
    });
  });
  it('runs short tasks inline and long ones as their own child workflow by default (execution: auto)', async () => {
    const p = plan({
      name: 'auto',
      tasks: [
        { id: 'quick', run: { type: 'shell', command: ['echo', 'quick'] } },
        { id: 'long', estimate: '30s', run: { type: 'shell', command: ['echo', 'long'] } },
        { id: 'ask', dependsOn: ['quick'], run: { type: 'shell', command: ['echo', 'asked'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('auto'), taskQueue });
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      expect(summary.tasks.map((t) => t.output?.trim())).toEqual(['quick', 'long', 'asked']);
      const children: string[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${handle.workflowId}/"` }))
        children.push(wf.workflowId);
      expect(children).toEqual([`${handle.workflowId}/long`]);
    });
  });
});
