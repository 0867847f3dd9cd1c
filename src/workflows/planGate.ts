import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import { failureOf, isFailureType, type FailureType } from '../core/failures';
import type { Plan } from '../core/plan/plan';
import { assertConcurrency } from '../core/plan/limits';
import { emptyCounts } from '../core/schedule/status';
import type { Progress } from '../core/report/progress';
import { runAutoLimit, startRunAuto } from '../core/schedule/runConcurrency';
import {
  approveUpdate,
  cancelSignal,
  planQuery,
  progressQuery,
  rejectUpdate,
  setConcurrencyUpdate,
  type RunPlanInput,
} from '../shared';
import { planMarkdown } from './planMarkdown';
import { loadedPlan } from './planSource';

const { checkPlan } = proxyLocalActivities<BuiltinActivities>({ startToCloseTimeout: '1 minute' });
const { planTasks } = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  summary: 'plan tasks from the requirements (AI)',
  retry: { maximumAttempts: 5, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** What the approver decided; a cancel while waiting counts as a refusal. */
export type Decision = { approved: true } | { approved: false; reason: string };

/**
 * Everything before the first task starts: get a validated plan (check the given one, or ask the
 * AI planning activity), make it visible (query and Web UI), and optionally wait for approval.
 */
export class PlanGate {
  private plan: Plan | null = null;
  private decision: Decision | undefined;
  private waiting = false;
  private readonly planning = new CancellationScope();
  /** Set by `cancel` before the first task starts. */
  cancelReason: string | undefined;
  /** Set by `set-concurrency` before the first task starts; applied when the run begins. */
  maxConcurrency: number | undefined;

  /** M before the run begins: as set, or the plan's; under `maxConcurrency: auto`, where the run will start it. */
  private concurrency(): Pick<Progress, 'maxConcurrency' | 'maxConcurrencyAuto'> {
    const set = this.maxConcurrency ?? this.input.maxConcurrency;
    const auto = set === undefined ? this.plan?.maxConcurrencyAuto : undefined;
    if (auto) return { maxConcurrency: runAutoLimit(startRunAuto(auto)), maxConcurrencyAuto: auto };
    return { maxConcurrency: set ?? this.plan?.maxConcurrency ?? 0 };
  }

  constructor(private readonly input: RunPlanInput) {
    setHandler(planQuery, () => this.plan);
    setHandler(progressQuery, () => ({
      plan: this.plan?.name ?? 'planning',
      status: 'running',
      paused: this.waiting,
      policy: this.input.policy ?? this.plan?.policy ?? 'critical-path',
      ...this.concurrency(),
      total: this.plan?.tasks.length ?? 0,
      counts: { ...emptyCounts(), pending: this.plan?.tasks.length ?? 0 },
      running: [],
      recentFailures: [],
      reason: this.waiting ? 'waiting for approval' : this.plan ? null : 'planning',
    }));
    const validator = () => {
      if (!this.waiting) throw new Error('this run is not waiting for approval');
    };
    this.handleControl();
    setHandler(approveUpdate, () => this.decide({ approved: true }, 'approved'), { validator });
    setHandler(
      rejectUpdate,
      (reason: string) => this.decide({ approved: false, reason: reason || 'rejected' }, 'rejected'),
      {
        validator: (_reason: string) => validator(),
      },
    );
  }

  /**
   * `cancel` and `set-concurrency` work while the run plans or waits for approval. A cancel
   * stops the planning activity; a new M is kept for when tasks start.
   */
  private handleControl(): void {
    setHandler(cancelSignal, (reason) => {
      this.cancelReason ??= reason || 'cancelled by request';
      this.planning.cancel();
    });
    setHandler(setConcurrencyUpdate, (n) => (this.maxConcurrency = n), {
      validator: assertConcurrency,
    });
  }

  /** The validated plan (the input's, checked again, or a new one from the planner), or undefined if cancelled. */
  async obtainPlan(): Promise<Plan | undefined> {
    if (this.input.resume && this.input.plan) return (this.plan = this.input.plan);
    if (this.input.resume && this.input.planFrom) return (this.plan = await loadedPlan(this.input.planFrom));
    if (this.input.plan) return (this.plan = await nonRetryable(checkPlan(this.input.plan), 'PlanValidationError'));
    if (!this.input.requirements)
      throw ApplicationFailure.create(failureOf('PlanValidationError', 'give a plan or requirements'));
    const requirements = this.input.requirements;
    setCurrentDetails('**planning** the tasks from the requirements…');
    try {
      this.plan = await this.planning.run(() => nonRetryable(planTasks(requirements), 'PlannerError'));
    } catch (err) {
      if (this.cancelReason !== undefined && isCancellation(err)) return undefined;
      throw err;
    }
    setCurrentDetails(planMarkdown(this.plan));
    return this.plan;
  }

  /** Blocks until `approve` or `reject`, when the run asked for approval. */
  async approval(plan: Plan): Promise<Decision> {
    if (!this.input.approve || this.input.resume) return { approved: true };
    this.waiting = true;
    setCurrentDetails(`**waiting for approval**: \`ptq approve ID\` or \`ptq reject ID\`\n\n${planMarkdown(plan)}`);
    await condition(() => this.decision !== undefined || this.cancelReason !== undefined);
    return this.decision ?? { approved: false, reason: this.cancelReason as string };
  }

  private decide(decision: Decision, word: string): string {
    this.decision = decision;
    this.waiting = false;
    return word;
  }
}

/** Turns a final activity failure of the given type into the workflow's own non-retryable failure. */
async function nonRetryable<T>(promise: Promise<T>, type: FailureType): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && isFailureType(cause.type, type))
      throw ApplicationFailure.nonRetryable(cause.message, type);
    throw err;
  }
}
