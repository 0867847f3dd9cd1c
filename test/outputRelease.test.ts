import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { RUN_OUTPUT_CHARS } from '../src/activities/steps/stepResult';
import { startRun, summaryOf } from '../src/client';
import { taskWorkflowId } from '../src/shared';
import { plan, runId, withWorker } from './helpers';

/** A shell step that prints 9,000 characters and then END, and exits with `code`. */
const loud = (code = 0) => ({
  type: 'shell' as const,
  command: ['node', '-e', `process.stdout.write('a'.repeat(9000) + 'END'); process.exit(${code})`],
});

/** The `output` of every step that completed and every step that failed in one workflow's history. */
async function stepOutputs(client: Client, workflowId: string): Promise<{ completed: string[]; failed: string[] }> {
  const decode = async (payloads?: temporal.api.common.v1.IPayloads | null) => {
    const value = await decodeFromPayloadsAtIndex<{ output: string }>(
      client.options.loadedDataConverter,
      0,
      payloads?.payloads ?? [],
    );
    return value.output;
  };
  const out = { completed: [] as string[], failed: [] as string[] };
  for (const e of (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done) out.completed.push(await decode(done.result));
    const failed = e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo;
    if (failed) out.failed.push(await decode(failed.details));
  }
  return out;
}

describe("how much of a step's output its activity hands back", () => {
  it("only the tail, into the run's own history, for an inline task; all of it, into its own workflow, for a child", async () => {
    const p = plan({
      name: 'release',
      tasks: [
        { id: 'inl', execution: 'inline', run: loud() },
        { id: 'bad', execution: 'inline', retry: { maximumAttempts: 1 }, run: loud(2) },
        { id: 'kid', execution: 'child', run: loud() },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('release'), taskQueue });
      const summary = await summaryOf(handle);
      expect(summary.counts).toMatchObject({ succeeded: 2, failed: 1 });

      const run = await stepOutputs(client, handle.workflowId);
      const shape = (outputs: string[]) => outputs.map((o) => ({ length: o.length, end: o.slice(-4) }));
      expect(shape(run.completed)).toEqual([{ length: RUN_OUTPUT_CHARS, end: 'aEND' }]);
      expect(shape(run.failed)).toEqual([{ length: RUN_OUTPUT_CHARS, end: 'aEND' }]);

      const child = await stepOutputs(client, taskWorkflowId(handle.workflowId, 'kid'));
      expect(child.completed).toEqual([`${'a'.repeat(9000)}END`]);
    });
  });

  it('masks a secret before it cuts the tail, so a secret the cut splits leaves no fragment', async () => {
    // A worker variable whose name says it is a secret is masked in every output.
    const secret = 'cutsecret-0123456789';
    process.env.PTQ_TEST_CUT_TOKEN = secret;
    try {
      // The secret, then enough to put the tail's first character in its middle (0123456789...).
      const filler = RUN_OUTPUT_CHARS - secret.length / 2;
      const p = plan({
        name: 'release-cut',
        tasks: [
          {
            id: 'cut',
            execution: 'inline',
            run: {
              type: 'shell',
              command: ['node', '-e', `process.stdout.write(process.argv[1] + 'b'.repeat(${filler}))`, secret],
            },
          },
        ],
      });
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('release-cut'), taskQueue });
        expect((await summaryOf(handle)).counts).toMatchObject({ succeeded: 1 });
        const [output] = (await stepOutputs(client, handle.workflowId)).completed;
        expect(output.startsWith('***b')).toBe(true);
        expect(output).not.toContain('0123456789');
      });
    } finally {
      delete process.env.PTQ_TEST_CUT_TOKEN;
    }
  });
});
