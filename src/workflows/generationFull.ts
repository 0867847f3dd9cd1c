import { patched, workflowInfo } from '@temporalio/workflow';

/**
 * How much history a generation of a plan run holds before it continues as new: twice what
 * Temporal suggests by default (4,096 events or 4 MB), and with M=200 still under the server's
 * warnings (10,240 events, 10 MB) after the drain. Every generation costs a run its first and last
 * workflow tasks (its state read and written) and a drain (no task starts while the running ones
 * end); a 50,000-task plan had 35 of them at the suggestion.
 */
const GENERATION_EVENTS = 8_192;
const GENERATION_BYTES = 8 << 20;

/**
 * Whether this generation of a plan run should stop starting tasks and continue as new. Runs
 * from before `longer-generations` stopped at Temporal's suggestion, and replay that way.
 */
export function generationFull(): boolean {
  const info = workflowInfo();
  if (!info.continueAsNewSuggested) return false;
  if (!patched('longer-generations')) return true;
  return info.historyLength >= GENERATION_EVENTS || info.historySize >= GENERATION_BYTES;
}
