import { proxyLocalActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import { MAX_PAYLOAD_BYTES } from '../core/plan/limits';
import type { RunPlanInput } from '../shared';

const { measurePayload } = proxyLocalActivities<BuiltinActivities>({ startToCloseTimeout: '1 minute' });

/** Gzip adds at most this much to any text (header, trailer, stored blocks), so length + this bounds it. */
const GZIP_OVERHEAD = 1024;

/**
 * The gzipped size of a run's carried input, bounded from above by its parts: the plan, which never
 * changes, is measured once and its size carried in `resume.planBytes` (set here); the rest (the
 * scheduler state) is measured only when its text could pass the limit. The whole compresses to no
 * more than its parts do apart (Temporal's limit has a margin in MAX_PAYLOAD_BYTES besides).
 * Measuring the whole input every generation cost a 50,000-task run three serializations and two
 * gzips of about 9 MB in the last workflow task of each of its 35 generations.
 */
export async function carriedSize(
  next: RunPlanInput & { resume: NonNullable<RunPlanInput['resume']> },
): Promise<number> {
  const { plan, ...rest } = next;
  // A plan left with the run that holds it (see planSource.ts) is not carried: its size is kept for when it is again.
  const planBytes = plan ? (next.resume.planBytes ?? (await measured(JSON.stringify(plan), 0))) : 0;
  if (plan) next.resume.planBytes = planBytes;
  return planBytes + (await measured(JSON.stringify(rest), planBytes));
}

/** The gzipped size of `json`, or a bound of it when `others + bound` fits anyway (no local activity). */
async function measured(json: string, others: number): Promise<number> {
  const bound = json.length + GZIP_OVERHEAD;
  if (others + bound <= MAX_PAYLOAD_BYTES) return bound;
  return measurePayload(json);
}
