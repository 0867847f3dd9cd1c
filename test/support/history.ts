import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { GzipCodec } from '../../src/codec';

/**
 * Everything a run's histories hold, as text: the run's own and every child's, with gzipped
 * payloads decoded, so a test can say that a value appears nowhere in them.
 */
export async function allHistoryText(client: Client, runId: string): Promise<string> {
  const ids = [runId];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}/'` })) ids.push(wf.workflowId);
  const texts: string[] = [];
  for (const id of ids) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    texts.push(JSON.stringify(history));
    for (const payload of payloadsIn(history)) {
      const [decoded] = await new GzipCodec().decode([payload]);
      texts.push(Buffer.from(decoded.data ?? []).toString('utf8'));
    }
  }
  return texts.join('\n');
}

/** Every object in a history that looks like a payload. */
function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object') return out;
  const v = value as Record<string, unknown>;
  if (v.metadata && v.data instanceof Uint8Array) out.push(v as Payload);
  for (const child of Object.values(v)) payloadsIn(child, out);
  return out;
}
