import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import type { Plan } from '../core/plan';
import { emptyCounts } from '../core/status';
import { approveUpdate, planQuery, progressQuery, rejectUpdate, type RunPlanInput } from '../shared';
import { planMarkdown } from './planMarkdown';

const { checkPlan } = proxyLocalActivities<BuiltinActivities>({ startToCloseTimeout: '1 minute' });
const { planTasks } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  summary: 'plan tasks from the requirements (AI)',
  retry: { maximumAttempts: 5, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** What the approver decided. */
export type Decision = { approved: true } | { approved: false; reason: string };

/**
 * Everything before the first task starts: get a validated plan (check the given one, or ask the
 * AI planning activity), make it visible (query and Web UI), and optionally wait for approval.
 */
export class PlanGate {
  private plan: Plan | null = null;
  private decision: Decision | undefined;
  private waiting = false;

  constructor(private readonly input: RunPlanInput) {
    setHandler(planQuery, () => this.plan);
    setHandler(progressQuery, () => ({
      plan: this.plan?.name ?? 'planning',
      status: 'running',
      paused: this.waiting,
      policy: this.input.policy ?? this.plan?.policy ?? 'critical-path',
      maxConcurrency: this.input.maxConcurrency ?? this.plan?.maxConcurrency ?? 0,
      total: this.plan?.tasks.length ?? 0,
      counts: { ...emptyCounts(), pending: this.plan?.tasks.length ?? 0 },
      running: [],
      recentFailures: [],
      reason: this.waiting ? 'waiting for approval' : this.plan ? null : 'planning',
    }));
    const validator = () => {
      if (!this.waiting) throw new Error('this run is not waiting for approval');
    };
    setHandler(approveUpdate, () => this.decide({ approved: true }, 'approved'), { validator });
    setHandler(
      rejectUpdate,
      (reason: string) => this.decide({ approved: false, reason: reason || 'rejected' }, 'rejected'),
      {
        validator: (_reason: string) => validator(),
      },
    );
  }

  /** The validated plan: the input's, checked again, or a new one from the planner. */
  async obtainPlan(): Promise<Plan> {
    if (this.input.resume && this.input.plan) return (this.plan = this.input.plan);
    if (this.input.plan) return (this.plan = await nonRetryable(checkPlan(this.input.plan), 'PlanValidationError'));
    if (!this.input.requirements)
      throw ApplicationFailure.nonRetryable('give a plan or requirements', 'PlanValidationError');
    setCurrentDetails('**planning** the tasks from the requirements…');
    this.plan = await nonRetryable(planTasks(this.input.requirements), 'PlannerError');
    setCurrentDetails(planMarkdown(this.plan));
    return this.plan;
  }

  /** Blocks until `approve` or `reject`, when the run asked for approval. */
  async approval(plan: Plan): Promise<Decision> {
    if (!this.input.approve || this.input.resume) return { approved: true };
    this.waiting = true;
    setCurrentDetails(`**waiting for approval**: \`ptq approve ID\` or \`ptq reject ID\`\n\n${planMarkdown(plan)}`);
    await condition(() => this.decision !== undefined);
    return this.decision as Decision;
  }

  private decide(decision: Decision, word: string): string {
    this.decision = decision;
    this.waiting = false;
    return word;
  }
}

/** Turns a final activity failure of the given type into the workflow's own non-retryable failure. */
async function nonRetryable<T>(promise: Promise<T>, type: string): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === type)
      throw ApplicationFailure.nonRetryable(cause.message, type);
    throw err;
  }
}
