import type { Fairness } from '../plan/plan';

/**
 * A run's place on the workers' queues, as Temporal's `priority` of its workflow. Children and
 * activities inherit each field they do not set (server 1.29), so setting it on the run reaches
 * every task, map item and step of the run, and survives continue-as-new.
 */
export interface RunPriority {
  /** 1 (first) to 5 (last); unset: the server's default, 3. */
  priorityKey?: number;
  fairnessKey: string;
  fairnessWeight?: number;
}

/** Temporal refuses fairness keys over 64 bytes. */
const MAX_KEY_BYTES = 64;

/**
 * The priority of a run: `--priority` over the plan's `priority`; the plan's (or `--fairness-*`)
 * fairness key, else the run id, so that by default every run gets its own equal share.
 */
export function runPriority(
  plan: { priority?: number; fairness?: Fairness },
  runId: string,
  override: { priority?: number; fairness?: Fairness } = {},
): RunPriority {
  const priorityKey = override.priority ?? plan.priority;
  const fairness = { ...plan.fairness, ...override.fairness };
  const fairnessWeight = fairness.weight;
  return {
    ...(priorityKey !== undefined ? { priorityKey } : {}),
    fairnessKey: fairnessKeyOf(fairness.key ?? runId),
    ...(fairnessWeight !== undefined ? { fairnessWeight } : {}),
  };
}

/** A key Temporal takes: a long run id keeps its start and gets a hash of the whole, still unique in practice. */
export function fairnessKeyOf(id: string): string {
  if (encodeURIComponent(id).replace(/%[0-9A-F]{2}/g, 'x').length <= MAX_KEY_BYTES) return id;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  const head = Array.from(id.replace(/[^\x20-\x7e]/g, '_'))
    .slice(0, MAX_KEY_BYTES - 9)
    .join('');
  return `${head}~${hash.toString(16).padStart(8, '0')}`;
}
