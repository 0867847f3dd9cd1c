import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { connectClient, startRun, summaryOf } from '../src/client';
import { planOfRun } from '../src/client/runView';
import { GzipCodec } from '../src/temporal/codec';
import type { RunPlanInput } from '../src/shared';
import { generationsOf, plan, runId, withWorker } from './helpers';
import { localResults } from './support/history';
import { ledgerProblems, ledgerTask, readLedger } from './support/ledger';
import { waitFor } from './support/processes';
import { recorder, workTask } from './support/recorder';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * A plan is not carried through continue-as-new: the run whose input has it holds it, and the
 * later generations read it from there (a local activity, from the server, so from any worker).
 */
jest.setTimeout(180_000);

/** The generations of a run, oldest first. */
async function generations(client: Client, id: string): Promise<WorkflowExecutionInfo[]> {
  return (await generationsOf(client, id)).sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** A generation's input as the server holds it: its JSON text and the decoded value. */
async function inputOf(client: Client, id: string, run: string): Promise<{ json: string; input: RunPlanInput }> {
  const { events } = await client.workflow.getHandle(id, run).fetchHistory();
  const payload = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const [decoded] = await new GzipCodec().decode([payload ?? {}]);
  const json = Buffer.from(decoded.data ?? []).toString('utf8');
  return { json, input: JSON.parse(json) as RunPlanInput };
}

describe('a plan across continue-as-new', () => {
  it('is carried by the first generation only; the others read it, and every task runs once', async () => {
    const { intervals, activities } = recorder();
    // 40 tasks with 20 KB of padding each: 800 KB of plan, and a state of a few KB.
    const tasks = Array.from({ length: 40 }, (_, i) =>
      workTask(`t${i}`, 20, { dependsOn: i % 5 === 4 ? [`t${i - 1}`] : [], title: 'x'.repeat(20_000) }),
    );
    const p = plan({ defaults: { execution: 'inline' }, maxConcurrency: 4, tasks });
    const id = runId('plan-ref');
    await withWorker(
      async ({ client, taskQueue }) => {
        const summary = await summaryOf(await startRun(client, p, { id, taskQueue, continueAsNewAfter: 8 }));
        expect(summary.status).toBe('succeeded');
        expect(summary.counts).toMatchObject({ total: 40, succeeded: 40 });
        const gens = await generations(client, id);
        expect(gens.length).toBeGreaterThanOrEqual(5);
        const first = await inputOf(client, id, gens[0].runId);
        expect(first.input.plan?.tasks).toHaveLength(40);
        expect(first.json.length).toBeGreaterThan(800_000);
        for (const g of gens.slice(1)) {
          const { json, input } = await inputOf(client, id, g.runId);
          expect(input.plan).toBeUndefined();
          expect(input.planFrom?.runId).toBe(gens[0].runId);
          expect(input.resume?.generation).toBeGreaterThan(0);
          expect(json.length).toBeLessThan(first.json.length / 20);
          // It read the plan as the JSON payload the converter makes of it: the Web UI shows it.
          const [read] = await localResults(client, id, 'loadPlan', g.runId);
          expect(Buffer.from(read.metadata?.encoding ?? []).toString()).toBe('json/plain');
          expect(Buffer.from(read.data ?? []).toString()).toBe(JSON.stringify(first.input.plan));
        }
      },
      { activities },
    );
    expect(intervals.map((i) => i.id).sort()).toEqual(p.tasks.map((t) => t.id).sort());
    // With no worker left to answer a query, the ended run's plan still comes from the server.
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const read = await planOfRun(client, client.workflow.getHandle(id));
    expect(read?.tasks.map((t) => t.id)).toEqual(p.tasks.map((t) => t.id));
    await client.connection.close();
  });

  it('kill -9 of the worker in a later generation: a new worker reads the plan, every task ends once', async () => {
    const workers: WorkerProcess[] = [];
    const ledger = join(mkdtempSync(join(tmpdir(), 'ptq-plan-ref-')), 'ledger');
    const ids = Array.from({ length: 36 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const p = plan({
      maxConcurrency: 4,
      defaults: {
        execution: 'inline',
        heartbeatTimeout: '2s',
        retry: { maximumAttempts: 10, initialInterval: '100ms' },
      },
      tasks: ids.map((id) => ledgerTask(id, ledger, 5)),
    });
    const queue = `plan-ref-${randomUUID()}`;
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    try {
      workers.push(await startWorkerProcess(queue));
      const id = runId('plan-ref-kill');
      const handle = await startRun(client, p, { id, taskQueue: queue, continueAsNewAfter: 6 });
      // In the third generation, with steps running.
      await waitFor(async () => (await generationsOf(client, id)).length >= 3, 60_000);
      await waitFor(() => readLedger(ledger).some((a) => !a.ended), 30_000);
      workers[0].child.kill('SIGKILL');
      const killedAt = Date.now();
      workers.push(await startWorkerProcess(queue));
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      expect(summary.counts).toMatchObject({ total: 36, succeeded: 36 });
      expect(ledgerProblems(readLedger(ledger), ids, killedAt)).toEqual([]);
      const gens = await generations(client, id);
      expect(gens.length).toBeGreaterThanOrEqual(5);
      for (const g of gens.slice(1)) expect((await inputOf(client, id, g.runId)).input.plan).toBeUndefined();
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await client.connection.close();
    }
  });
});
