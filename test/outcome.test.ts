import { plan, runId, withWorker } from './helpers';
import { startRun, summaryOf } from '../src/client';
import { ptq } from './support/cli';
import { waitFor } from './support/processes';
import type { RunSummary } from '../src/core';

/**
 * A run ends as the execution its outcome says: Failed runs are Failed and cancelled ones Cancelled
 * in the Web UI, in `temporal workflow list` queries and for alerting, with the summary kept.
 */
describe('a run ends as its outcome', () => {
  it('a failed run is a Failed execution whose summary ptq result still reads', async () => {
    const p = plan({
      name: 'breaks',
      defaults: { retry: { maximumAttempts: 1 } },
      tasks: [
        { id: 'ok', run: { type: 'shell', command: ['echo', 'fine'] } },
        { id: 'boom', run: { type: 'shell', command: ['sh', '-c', 'echo broken >&2; exit 4'] } },
        { id: 'after', dependsOn: ['boom'], run: { type: 'shell', command: ['true'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('failed'), taskQueue });
      const summary = await summaryOf(handle);
      expect(summary).toMatchObject({ status: 'failed', counts: { succeeded: 1, failed: 1, skipped: 1 } });
      const description = await handle.describe();
      expect(description.status.name).toBe('FAILED');
      // What `temporal workflow list --query 'ExecutionStatus="Failed"'` finds.
      const failed = await waitFor(async () => {
        const found: string[] = [];
        const query = `ExecutionStatus = "Failed" AND WorkflowId = "${handle.workflowId}"`;
        for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
        return found.length ? found : undefined;
      }, 10_000);
      expect(failed).toEqual([handle.workflowId]);
      // The failure's message is the one line the Web UI shows.
      const error = await handle.result().catch((e: Error & { cause?: Error }) => e.cause?.message);
      expect(error).toBe(
        'breaks failed: 1 of 3 tasks failed, 1 skipped (boom: exit code 4: broken (in: sh -c echo broken >&2; exit 4))',
      );
      const cli = await ptq(['result', handle.workflowId, '--json']);
      expect(cli.code).toBe(1);
      const printed = JSON.parse(cli.stdout) as RunSummary;
      expect(printed.tasks.find((t) => t.id === 'ok')?.output).toContain('fine');
      expect(printed.tasks.find((t) => t.id === 'boom')?.error).toContain('exit code 4');
      const task = await ptq(['result', `${handle.workflowId}/boom`, '--json']);
      expect(JSON.parse(task.stdout)).toMatchObject({ id: 'boom', status: 'failed' });
    });
  });

  it('ptq cancel makes a Cancelled execution with its summary; a second cancel stops finally', async () => {
    const p = plan({
      name: 'stopped',
      tasks: [{ id: 'long', run: { type: 'shell', command: ['sleep', '60'] } }],
      finally: [{ id: 'tidy', run: { type: 'shell', command: ['sleep', '60'] } }],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('cancelled'), taskQueue });
      const running = async (task: string) =>
        (await ptq(['status', `${handle.workflowId}/${task}`, '--json'])).stdout.includes('"running"') || undefined;
      await waitFor(() => running('long'), 20_000);
      const first = await ptq(['cancel', handle.workflowId, '--reason', 'not today']);
      expect(first.code).toBe(0);
      // One cancel: the running task stops, but the finally task still runs.
      await waitFor(() => running('tidy'), 20_000);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect((await ptq(['cancel', handle.workflowId])).code).toBe(0);
      const summary = await summaryOf(handle);
      expect(summary).toMatchObject({ status: 'cancelled', reason: 'not today', counts: { cancelled: 2 } });
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const cli = await ptq(['result', handle.workflowId, '--json']);
      expect(cli.code).toBe(130);
      expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'cancelled', reason: 'not today' });
      // An ended run: one line, exit 0.
      const again = await ptq(['cancel', handle.workflowId]);
      expect(again).toMatchObject({ code: 0, stdout: `${handle.workflowId} already ended (cancelled)\n` });
    });
  });
});
