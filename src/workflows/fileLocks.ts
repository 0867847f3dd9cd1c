import { proxyLocalActivities } from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import type { FileLocks } from '../core/plan/files';
import type { Plan } from '../core/plan/plan';

const { planFileLocks } = proxyLocalActivities<BuiltinActivities>({ startToCloseTimeout: '1 minute' });

/**
 * The file mutexes of a plan whose tasks declare `files`, found by a local activity: for a big plan
 * that takes seconds, which in workflow code would trip the deadlock detector on every attempt of
 * the first workflow task. Undefined when no task declares files.
 */
export async function fileLocksOf(plan: Plan): Promise<FileLocks | undefined> {
  const files = plan.tasks.map((t) => t.files);
  if (!files.some((f) => f?.length)) return undefined;
  const held = await planFileLocks(files);
  return { patterns: [...new Set(files.flatMap((f) => f ?? []))], held };
}
