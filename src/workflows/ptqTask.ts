import {
  ActivityCancellationType,
  ApplicationFailure,
  TemporalFailure,
  proxyActivities,
  sleep,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { MapItems } from '../core/schedule/map';
import type { Plan, Step, Task, Usage } from '../core/plan/plan';
import { DEFAULT_HEARTBEAT_MS } from '../core/schedule/heartbeats';
import { failureOf } from '../core/failures';
import { sumUsage } from '../core/report/usage';
import { addLimitStart, type LimitUses } from '../core/report/limitUse';
import { describeStep, stepsOf } from '../core/plan/steps';
import type { BuiltinActivities, StepResult } from '../activities';
import type { StepOptions } from '../activities/steps/stepOptions';
import { resolveValue, TemplateError, type TemplateContext } from '../core/plan/template';
import { llmWithTools } from './llmTools';
import { limitedOptions, retryThrottled } from './rateLimited';
import { ERROR_CHARS, RESULT_OUTPUT_CHARS, taskFailure } from './taskFailure';

/** Input of one task's child workflow. */
export interface RunTaskInput {
  task: Task;
  defaults: Plan['defaults'];
  /** Values for the task's templates (the tasks it references, params, ids). */
  context?: TemplateContext;
  /** Set when the task's output is JSON: the most bytes it may have. */
  jsonLimit?: number;
}

/** What a finished task reports to its run. Failures are thrown as `TaskFailed` with the same details. */
export interface TaskResult {
  attempts: number;
  worker?: string;
  output: string;
  /** The last step's output parsed as JSON, for tasks with `"output": "json"`. */
  json?: unknown;
  /** Tokens and cost of llm steps. */
  usage?: Usage;
  /** A map's results file (JSONL, one line per item). */
  results?: string;
  /** A map: how its items went. */
  items?: MapItems;
  /** A map that stopped early: why. */
  stop?: string;
  /** Its steps' use of named rate limits (a map's: all its items'). */
  limits?: LimitUses;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs one task's steps in order. Each step is an activity with the task's retry policy, so a
 * flaky step is retried durably by Temporal; a step that fails for good fails the task.
 * It is the child workflow of a task, and also runs inside the run itself for `inline` tasks;
 * there `label` names the task in each step's summary, since the steps share the run's history.
 *
 * The steps are one promise chain, a `.then` per step, without async functions: the SDK records a
 * stack trace for every promise a workflow makes (for the stack-trace query), and that was most of
 * an inline task's cost in the run's workflow task (15 promises a task, 11 now).
 */
export function ptqTask(input: RunTaskInput, label?: string): Promise<TaskResult> {
  try {
    return stepsFrom({ input, label, steps: stepsOf(input.task) }, 0, { attempts: 0, output: '' });
  } catch (err) {
    return Promise.reject(asTaskFailure(err));
  }
}

/** One task's run through its steps. */
interface StepRun {
  input: RunTaskInput;
  label?: string;
  steps: Step[];
}

/** Runs step `i` and the ones after it; `before` is what the earlier steps reported. */
function stepsFrom(run: StepRun, i: number, before: TaskResult): Promise<TaskResult> {
  const { input, label, steps } = run;
  if (i === steps.length) return Promise.resolve(finished(before));
  const step = steps[i];
  const last = i === steps.length - 1;
  const described = describeStep(step);
  const summary = label ? `${label}: ${described}` : described;
  const next = (result: TaskResult): TaskResult | Promise<TaskResult> => {
    if (last) return finished(result);
    try {
      return stepsFrom(run, i + 1, result);
    } catch (err) {
      throw asTaskFailure(err);
    }
  };
  if (step.type === 'sleep') {
    return sleep(step.duration, { summary }).then(() => next({ ...before, attempts: Math.max(before.attempts, 1) }));
  }
  const options = limitedOptions(
    input.task,
    { ...activityOptions(input.task, input.defaults, step), summary },
    input.context,
  );
  const opts = stepOptions(input, last, label);
  const spent = { spent: before.usage, label };
  const first = startStep(step, options, opts, spent);
  const { read } = first;
  const limit = input.task.rateLimit;
  const seen = { throttled: 0 };
  const started =
    limit === undefined
      ? first.started
      : retryThrottled(first.started, () => startStep(step, options, opts, spent).started, seen);
  return started.then(
    (raw) => {
      const r = read(raw);
      const usage = sumUsage(before.usage, r.usage);
      const result: TaskResult = {
        attempts: Math.max(before.attempts, r.attempt, 1),
        worker: r.worker,
        output: r.output,
        usage,
      };
      if (last && r.json !== undefined) result.json = r.json;
      const limits =
        limit !== undefined && r.limitStart
          ? addLimitStart(before.limits, limit, r.limitStart, seen.throttled)
          : before.limits;
      if (limits) result.limits = limits;
      return next(result);
    },
    (err: unknown) => {
      throw asTaskFailure(taskFailure(err, { ...options, summary: described }, before.usage));
    },
  );
}

/** What a task hands back: its output's tail (see RESULT_OUTPUT_CHARS). */
function finished(result: TaskResult): TaskResult {
  return { ...result, output: result.output.slice(-RESULT_OUTPUT_CHARS) };
}

/**
 * Anything that is not a Temporal failure (a bug, input no validator caught) would fail the
 * workflow task again and again, and the run would hang: it fails the task instead.
 */
function asTaskFailure(err: unknown): unknown {
  if (err instanceof TemporalFailure) return err;
  if (err instanceof TemplateError) return ApplicationFailure.create(failureOf('TaskFailed', err.message));
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    ...failureOf('TaskFailed', `ptq could not run this task: ${message}`.slice(0, ERROR_CHARS)),
    details: [{ attempts: 1, output: '' }],
  });
}

/**
 * Template values for every step; the JSON cap for the last one. An inline task (one with a
 * `label`) records its steps' results in the run's own history, so they release only their tail.
 */
function stepOptions(input: RunTaskInput, last: boolean, label: string | undefined): StepOptions {
  const release = label === undefined ? 'full' : 'tail';
  return { template: input.context, jsonLimit: last ? input.jsonLimit : undefined, task: input.task.id, release };
}

/** A step's activity, started, and how to read what it returns. */
interface StartedStep {
  started: Promise<unknown>;
  read: (returned: unknown) => StepResult & { usage?: Usage };
}

const asStepResult = (returned: unknown) => returned as StepResult & { usage?: Usage };

function startStep(
  step: Exclude<Step, { type: 'sleep' }>,
  options: ActivityOptions,
  stepOpts: StepOptions,
  task: { spent?: Usage; label?: string },
): StartedStep {
  const activities = proxyActivities<BuiltinActivities>(options);
  switch (step.type) {
    case 'llm':
      if (step.tools) return { started: llmWithTools({ step, options, stepOpts, ...task }), read: asStepResult };
      return { started: activities.runLlm(step, stepOpts), read: asStepResult };
    case 'shell':
      return { started: activities.runShell(step, stepOpts), read: asStepResult };
    case 'agent':
      return { started: activities.runAgent(step, stepOpts), read: asStepResult };
    case 'http':
      return { started: activities.runHttp(step, stepOpts), read: asStepResult };
    case 'browser':
      return { started: activities.runBrowser(step, stepOpts), read: asStepResult };
    case 'activity': {
      const started = callUserActivity(step, options, stepOpts);
      const read = (returned: unknown) => userStepResult(returned, stepOpts);
      // Each promise costs the SDK a stack trace: the result is read in the step's own `.then`.
      return { started, read };
    }
  }
}

/**
 * A user activity, by name. Its input is resolved here, in the workflow: the activity is the
 * user's own code, with no ptq wrapper to resolve it in.
 */
function callUserActivity(
  step: Extract<Step, { type: 'activity' }>,
  options: ActivityOptions,
  stepOpts: StepOptions,
): Promise<unknown> {
  const input = stepOpts.template ? resolveValue(step.input, stepOpts.template) : step.input;
  const userActivities = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>(options);
  return userActivities[step.name](input);
}

/** What a user activity returned, as a step's result: JSON, within the cap when the task's output is JSON. */
function userStepResult(returned: unknown, stepOpts: StepOptions): StepResult {
  const value = returned ?? null;
  const output = JSON.stringify(value);
  if (stepOpts.jsonLimit !== undefined && output.length > stepOpts.jsonLimit) {
    throw ApplicationFailure.create(
      failureOf(
        'OutputNotJson',
        `JSON output is ${output.length} bytes, over the ${stepOpts.jsonLimit} byte cap (jsonOutputLimit)`,
      ),
    );
  }
  return { output, attempt: 1, worker: '', json: stepOpts.jsonLimit !== undefined ? value : undefined };
}

/** A step's activity options from its task's and the plan's timeouts and retry policy. */
export function activityOptions(task: Task, defaults: Plan['defaults'], step: Step): ActivityOptions {
  const retry = { ...defaults.retry, ...task.retry };
  const initialInterval = retry.initialInterval ?? 1_000;
  const stepTimeout = 'timeout' in step ? step.timeout : undefined;
  // A shell/http step enforces its own timeout and reports it clearly; the activity's
  // start-to-close is a backstop a little above it.
  const timeout = stepTimeout ? stepTimeout + 5_000 : (task.timeout ?? defaults.timeout ?? DEFAULT_TIMEOUT_MS);
  return {
    startToCloseTimeout: timeout,
    heartbeatTimeout:
      step.type === 'activity'
        ? undefined
        : (task.heartbeatTimeout ?? defaults.heartbeatTimeout ?? DEFAULT_HEARTBEAT_MS),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    ...queuePriorityOf(task),
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

/**
 * A task's `queuePriority` as Temporal's priority of its child or activities. Unset, they inherit
 * the run's priority and fairness key, and no field is added (histories from before replay as is).
 */
export function queuePriorityOf(task: Task): { priority?: { priorityKey: number } } {
  return task.queuePriority === undefined ? {} : { priority: { priorityKey: task.queuePriority } };
}
