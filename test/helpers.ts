import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { dataConverter } from '../src/temporal/codec';
import { Plan, type PlanInput } from '../src/core';
import { createWorker, type PtqWorkerOptions } from '../src/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** What a test gets inside `withWorker`. */
export interface TestContext {
  client: Client;
  taskQueue: string;
}

/**
 * Runs `fn` while a real worker polls a task queue of its own, so test files never see each
 * other's work. The workflow bundle was built once in global setup.
 */
export async function withWorker<T>(
  fn: (ctx: TestContext) => Promise<T>,
  options: Omit<PtqWorkerOptions, 'connection' | 'taskQueue' | 'workflowBundle'> = {},
): Promise<T> {
  const address = options.address ?? (process.env.TEMPORAL_ADDRESS as string);
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter, namespace: options.namespace });
  try {
    const worker = await createWorker({
      ...options,
      connection: nativeConnection,
      taskQueue,
      workflowBundle: { codePath: process.env.PTQ_TEST_WORKFLOW_BUNDLE as string },
    });
    return await worker.runUntil(fn({ client, taskQueue }));
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

/** Every run (continue-as-new generation) of a workflow id, as visibility lists them. */
export async function generationsOf(client: Client, workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf);
  return runs;
}

/** Parses a plan written in a test, with the same schema as plan files. */
export function plan(input: PlanInput): Plan {
  return Plan.parse(input);
}

/** A unique run id for a test. */
export function runId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
