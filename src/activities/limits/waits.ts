import { Context } from '@temporalio/activity';
import { waitsOf, waitsUnder, type LimitedTask } from '../../client/limitWaits';

/** What a run asks: its id, and its running tasks that use a limit. */
export interface LimitWaitsInput {
  runId: string;
  tasks: LimitedTask[];
}

/**
 * The run's own look at its steps waiting on rate limits (a local activity: the workflow cannot
 * tell a step waiting for its limit from one running; the server can). Lines like
 * `fetch: 37 waiting for api`, for the run's details in the Web UI.
 */
export async function lookLimitWaits(input: LimitWaitsInput): Promise<string[]> {
  const waits = await waitsOf(Context.current().client, input.runId, input.tasks);
  return waits.map((w) => `${w.task}: ${w.steps} waiting for ${w.limit}`);
}

/** A map's look at its own steps (and its shards') waiting on rate limits: `37 waiting for api`. */
export async function lookMapLimitWaits(mapId: string): Promise<string[]> {
  const waits = await waitsUnder(Context.current().client, mapId);
  return Object.entries(waits ?? {}).map(([limit, steps]) => `${steps} waiting for ${limit}`);
}
