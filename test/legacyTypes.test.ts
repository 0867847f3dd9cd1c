import { startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { waitFor } from './support/processes';

/** One inline shell task that runs until cancelled. */
const slow = (name: string) => plan({ name, tasks: [{ id: 's', run: { type: 'shell', command: ['sleep', '600'] } }] });

/**
 * Runs started before the workflow types were renamed go on as `runPlan` (src/workflows/legacy):
 * the CLI lists, shows and cancels them as it does runs of today's `ptqRun`.
 */
describe('runs on the frozen workflow types', () => {
  it('a runPlan run is listed, shows its status and cancels like a ptqRun run', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const name = runId('frozen');
      const oldId = runId('legacy');
      const old = await client.workflow.start('runPlan', {
        workflowId: oldId,
        taskQueue,
        args: [{ plan: slow(name) }],
      });
      const live = await startRun(client, slow(name), { id: runId('live'), taskQueue });
      expect((await old.describe()).type).toBe('runPlan');
      expect((await live.describe()).type).toBe('ptqRun');

      const listed = async () => JSON.parse((await ptq(['list', '--plan', name, '--json'])).stdout) as unknown[];
      await waitFor(async () => ((await listed()).length === 2 ? true : undefined));
      expect(await listed()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: oldId, status: 'running', plan: name }),
          expect.objectContaining({ id: live.workflowId, status: 'running', plan: name }),
        ]),
      );

      for (const id of [oldId, live.workflowId]) {
        await waitFor(async () => {
          const status = JSON.parse((await ptq(['status', id, '--json'])).stdout);
          return status.counts?.running === 1 ? status : undefined;
        });
        expect((await ptq(['status', id])).stdout).toContain('▶ s');
        expect((await ptq(['cancel', id, '--reason', 'test over'])).code).toBe(0);
        const result = await ptq(['result', id, '--json']);
        expect(result.code).toBe(130);
        expect(JSON.parse(result.stdout)).toMatchObject({ status: 'cancelled', reason: 'test over' });
      }
    });
  });
});
