import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { Plan } from '../core/plan/plan';
import type { RunPlanInput } from '../shared';

/** The input an execution of a run started with: the first event of its history (one page of one event). */
export async function inputOfExecution(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<RunPlanInput | undefined> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  return payloads?.length
    ? await decodeFromPayloadsAtIndex<RunPlanInput>(client.options.loadedDataConverter, 0, payloads)
    : undefined;
}

/**
 * The plan of an execution's input: its own, or the one of the run it refers to. Undefined if it
 * has none, or if that run is gone (deleted past retention; the caller asks the run instead).
 */
export async function planOfInput(client: Client, workflowId: string, input?: RunPlanInput): Promise<Plan | undefined> {
  if (input?.plan || !input?.planFrom) return input?.plan;
  return (await inputOfHolder(client, workflowId, input.planFrom.runId))?.plan;
}

/** The input of the run that holds a plan, or undefined once that run is gone (deleted past retention). */
export function inputOfHolder(client: Client, workflowId: string, runId: string): Promise<RunPlanInput | undefined> {
  return inputOfExecution(client, workflowId, runId).catch((err: unknown) => {
    if ((err as { code?: number }).code === 5) return undefined; // gRPC NOT_FOUND
    throw err;
  });
}
