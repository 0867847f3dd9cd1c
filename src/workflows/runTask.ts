import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  isCancellation,
  proxyActivities,
  sleep,
  type ActivityOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Plan, Step, Task, Usage } from '../core/plan';
import { sumUsage } from '../core/usage';
import { describeStep, stepsOf } from '../core/steps';
import type { BuiltinActivities, StepFailureDetails, StepResult } from '../activities';

/** Input of one task's child workflow. */
export interface RunTaskInput {
  task: Task;
  defaults: Plan['defaults'];
  /** Outputs of the task's dependencies, for `{{tasks.ID.output}}` in llm prompts. */
  inputs?: Record<string, string>;
}

/** What a finished task reports to its run. Failures are thrown as `TaskFailed` with the same details. */
export interface TaskResult {
  attempts: number;
  worker?: string;
  output: string;
  /** Tokens and cost of llm steps. */
  usage?: Usage;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_HEARTBEAT_MS = 10_000;
/**
 * What a task hands back to its run: a tail of its output and a bounded error. The run's history
 * holds one completion per task per generation, so with M in the hundreds full outputs could push
 * it past Temporal's 50 MB limit before continue-as-new. The full output stays in the child.
 */
const RESULT_OUTPUT_CHARS = 4_000;
const ERROR_CHARS = 1_000;

/**
 * Runs one task's steps in order. Each step is an activity with the task's retry policy, so a
 * flaky step is retried durably by Temporal; a step that fails for good fails the task.
 * It is the child workflow of a task, and also runs inside the run itself for `inline` tasks;
 * there `label` names the task in each step's summary, since the steps share the run's history.
 */
export async function runTask(input: RunTaskInput, label?: string): Promise<TaskResult> {
  try {
    const result = await runSteps(input, label);
    return { ...result, output: result.output.slice(-RESULT_OUTPUT_CHARS) };
  } catch (err) {
    // Anything that is not a Temporal failure (a bug, input no validator caught) would fail the
    // workflow task again and again, and the run would hang: it fails the task instead.
    if (err instanceof TemporalFailure) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw ApplicationFailure.create({
      message: `ptq could not run this task: ${message}`.slice(0, ERROR_CHARS),
      type: 'TaskFailed',
      nonRetryable: true,
      details: [{ attempts: 1, output: '' }],
    });
  }
}

async function runSteps({ task, defaults, inputs }: RunTaskInput, label?: string): Promise<TaskResult> {
  let result: TaskResult = { attempts: 0, output: '' };
  for (const step of stepsOf(task)) {
    const summary = label ? `${label}: ${describeStep(step)}` : describeStep(step);
    if (step.type === 'sleep') {
      await sleep(step.duration, { summary });
      result = { ...result, attempts: Math.max(result.attempts, 1) };
      continue;
    }
    const options = { ...activityOptions(task, defaults, step), summary };
    try {
      const r = await runStep(step, options, inputs ?? {});
      const usage = sumUsage(result.usage, r.usage);
      result = { attempts: Math.max(result.attempts, r.attempt, 1), worker: r.worker, output: r.output, usage };
    } catch (err) {
      throw taskFailure(err, options);
    }
  }
  return result;
}

function runStep(
  step: Exclude<Step, { type: 'sleep' }>,
  options: ActivityOptions,
  inputs: Record<string, string>,
): Promise<StepResult & { usage?: Usage }> {
  switch (step.type) {
    case 'llm':
      return proxyActivities<BuiltinActivities>(options).runLlm(step, inputs);
    case 'shell':
      return proxyActivities<BuiltinActivities>(options).runShell(step);
    case 'http':
      return proxyActivities<BuiltinActivities>(options).runHttp(step);
    case 'activity': {
      const userActivities = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>(options);
      return userActivities[step.name](step.input).then((value) => ({
        output: JSON.stringify(value ?? null),
        attempt: 1,
        worker: '',
      }));
    }
  }
}

function activityOptions(task: Task, defaults: Plan['defaults'], step: Step): ActivityOptions {
  const retry = { ...defaults.retry, ...task.retry };
  const stepTimeout = 'timeout' in step ? step.timeout : undefined;
  // A shell/http step enforces its own timeout and reports it clearly; the activity's
  // start-to-close is a backstop a little above it.
  const initialInterval = retry.initialInterval ?? 1_000;
  const timeout = stepTimeout ? stepTimeout + 5_000 : (task.timeout ?? defaults.timeout ?? DEFAULT_TIMEOUT_MS);
  return {
    startToCloseTimeout: timeout,
    heartbeatTimeout:
      step.type === 'activity'
        ? undefined
        : (task.heartbeatTimeout ?? defaults.heartbeatTimeout ?? DEFAULT_HEARTBEAT_MS),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: retry.maximumAttempts ?? 3,
      initialInterval,
      backoffCoefficient: retry.backoffCoefficient ?? 2,
      // Temporal refuses a maximum below the initial interval, so the default follows it up.
      maximumInterval: retry.maximumInterval ?? Math.max(60_000, initialInterval),
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
    },
  };
}

/** Turns a step's final failure into the task's failure, keeping attempts, worker and output. */
function taskFailure(err: unknown, options: ActivityOptions): unknown {
  if (isCancellation(err) || !(err instanceof ActivityFailure)) return err;
  const cause = err.cause;
  const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
    StepFailureDetails | undefined;
  const exhausted = err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED;
  const attempts = details?.attempt ?? (exhausted ? (options.retry?.maximumAttempts ?? 1) : 1);
  const message = (cause?.message ?? err.message).slice(0, ERROR_CHARS);
  return ApplicationFailure.create({
    message: `${message} (in: ${options.summary})`,
    type: 'TaskFailed',
    nonRetryable: true,
    details: [{ attempts, worker: details?.worker, output: (details?.output ?? '').slice(-RESULT_OUTPUT_CHARS) }],
  });
}
