import { ApplicationFailure, ContinueAsNew, isCancellation, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import { failureOf } from '../core/failures';
import { summarizeUnplanned, type RunSummary } from '../core/report/summary';
import type { RunPlanInput } from '../shared';
import { fileLocksOf } from './fileLocks';
import { endAs } from './outcome';
import { PlanGate } from './planGate';
import { PlanRun } from './planRun';
import { planHolder } from './planSource';

/**
 * The orchestrator: runs a plan as a dependency-aware ready queue of child workflows, at most M at
 * a time, critical path first. The plan is given (and validated again here, because histories
 * outlive clients) or made from written requirements by the AI planning activity. It ends as its
 * outcome: Completed, Failed or Cancelled, with the summary kept either way (see `endAs`).
 */
export async function ptqRun(input: RunPlanInput): Promise<RunSummary> {
  try {
    return await endAs(await orchestrate(input));
  } catch (err) {
    // A bug here must end the run with its reason, not fail the workflow task again and again.
    if (err instanceof TemporalFailure || err instanceof ContinueAsNew || isCancellation(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw ApplicationFailure.create(failureOf('PtqInternalError', `ptq internal error: ${message}`));
  }
}

async function orchestrate(input: RunPlanInput): Promise<RunSummary> {
  const startedAt = Date.now();
  const gate = new PlanGate(input);
  const plan = await gate.obtainPlan();
  if (!plan) {
    const name = input.requirements?.name ?? 'planned';
    const reason = gate.cancelReason ?? 'cancelled';
    return summarizeUnplanned(workflowInfo().workflowId, name, reason, gate.maxConcurrency ?? 0, startedAt, Date.now());
  }
  const decision = await gate.approval(plan);
  const locks = await fileLocksOf(plan);
  const run = new PlanRun(
    plan,
    {
      ...input,
      plan,
      planFrom: planHolder(input),
      requirements: undefined,
      maxConcurrency: gate.maxConcurrency ?? input.maxConcurrency,
    },
    locks,
  );
  run.registerHandlers();
  if (gate.cancelReason !== undefined) run.reject(gate.cancelReason);
  else if (!decision.approved) run.reject(`plan rejected: ${decision.reason}`);
  return run.execute();
}
