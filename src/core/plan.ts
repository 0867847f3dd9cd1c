import { z } from 'zod';
import { parseDuration } from './duration';
import { MAX_CONCURRENCY, MAX_TASKS } from './limits';

/**
 * The plan schema. It is the single source of truth: plan files, AI planner output, workflow input
 * and `ptq schema` all come from here. Types are inferred, never written twice.
 */

/** A duration in a plan file; parses to milliseconds so the rest of ptq only sees numbers. */
export const Duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `bad duration ${JSON.stringify(value)}: use e.g. "250ms", "2s", "5m", "1h" or a number of milliseconds`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: "250ms", "2s", "5m", "1h", or a number of milliseconds.' });

/** Retry policy for a task's activities; Temporal carries it out durably. */
export const RetrySpec = z
  .object({
    maximumAttempts: z.number().int().min(1).optional().describe('Attempts in total, including the first.'),
    initialInterval: Duration.optional(),
    backoffCoefficient: z.number().min(1).optional(),
    maximumInterval: Duration.optional(),
    nonRetryableErrorTypes: z.array(z.string()).optional(),
  })
  .strict();
export type RetrySpec = z.infer<typeof RetrySpec>;

const Env = z.record(z.string(), z.string());

/** Runs a program with an argv array; nothing is ever passed through a shell. */
export const ShellStep = z
  .object({
    type: z.literal('shell'),
    command: z.array(z.string()).min(1, 'command needs at least the program name, e.g. ["npm", "test"]'),
    cwd: z.string().optional(),
    env: Env.optional(),
    timeout: Duration.optional(),
    description: z.string().optional(),
  })
  .strict();

/** Calls an HTTP endpoint and checks the status. */
export const HttpStep = z
  .object({
    type: z.literal('http'),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: z.url(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    expectStatus: z.array(z.number().int().min(100).max(599)).optional().describe('Default: any 2xx.'),
    timeout: Duration.optional(),
    description: z.string().optional(),
  })
  .strict();

/** Waits on a durable timer; costs no worker slot. */
export const SleepStep = z
  .object({ type: z.literal('sleep'), duration: Duration, description: z.string().optional() })
  .strict();

/** Calls an activity that the user registered on the worker, by name. */
export const ActivityStep = z
  .object({
    type: z.literal('activity'),
    name: z.string().min(1),
    input: z.unknown().optional(),
    timeout: Duration.optional(),
    description: z.string().optional(),
  })
  .strict();

/**
 * Sends a prompt to the configured model provider. `{{tasks.ID.output}}` in the prompt is replaced
 * by the output of dependency ID, so a chain of llm tasks can build on each other.
 */
export const LlmStep = z
  .object({
    type: z.literal('llm'),
    prompt: z.string().min(1),
    system: z.string().optional(),
    model: z.string().optional().describe('Default: PTQ_MODEL on the worker.'),
    maxOutputTokens: z.number().int().min(1).optional(),
    timeout: Duration.optional(),
    description: z.string().optional(),
  })
  .strict();

export const STEP_TYPES = ['shell', 'http', 'sleep', 'activity', 'llm'] as const;

/** One unit of work inside a task. */
export const Step = z.discriminatedUnion('type', [ShellStep, HttpStep, SleepStep, ActivityStep, LlmStep], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `unknown step type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}: use one of ${STEP_TYPES.join(', ')}`
      : undefined,
});
export type Step = z.infer<typeof Step>;
export type ShellStep = z.infer<typeof ShellStep>;
export type HttpStep = z.infer<typeof HttpStep>;
export type LlmStep = z.infer<typeof LlmStep>;

/** Points at the real problem inside `run`, instead of the union's generic "Invalid input". */
function runError(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const branch = issue.errors[Array.isArray(issue.input) ? 1 : 0];
  const first = branch?.[0];
  if (!first) return undefined;
  const step = typeof first.path[0] === 'number' ? `step ${first.path[0] + 1}: ` : '';
  return `${step}${first.message}`;
}

/**
 * Where a task's steps run. `child` (the default) gives every task its own child workflow, with its
 * own history in the Web UI. `inline` runs the steps as activities of the run itself: no child, about
 * a seventh of the server work per task, for plans of many tiny tasks where that cost dominates.
 */
export const Execution = z.enum(['child', 'inline']);
export type Execution = z.infer<typeof Execution>;

const TaskId = z
  .string()
  .regex(/^[A-Za-z0-9][\w.:-]*$/, 'task ids use letters, digits, "_", ".", ":" and "-" (they become workflow ids)');

/** A task: steps run in order inside one child workflow. */
export const Task = z
  .object({
    id: TaskId,
    title: z.string().optional(),
    dependsOn: z.array(z.string()).default([]),
    estimate: Duration.optional().describe('Expected duration; drives critical-path priority. Default 1s.'),
    priority: z.number().default(0).describe('Tie-break between equally critical tasks; higher first.'),
    group: z.string().optional(),
    resources: z.array(z.string()).optional().describe('Mutexes: tasks sharing a resource never overlap.'),
    run: z.union([Step, z.array(Step).min(1)], { error: runError }),
    retry: RetrySpec.optional(),
    timeout: Duration.optional().describe('Per-attempt timeout of each step.'),
    heartbeatTimeout: Duration.optional(),
    execution: Execution.optional().describe('"child" (default): own child workflow; "inline": activities of the run.'),
  })
  .strict();
export type Task = z.infer<typeof Task>;

/** Token usage and estimated cost of model calls. */
export const Usage = z.object({
  calls: z.number().int().min(0),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  costUsd: z.number().min(0).nullable().describe('null when the model is not in the price table'),
});
export type Usage = z.infer<typeof Usage>;

/** How a plan came to be: set by the AI planner, shown in the run summary. */
export const PlanMetadata = z
  .object({
    planner: z.string(),
    model: z.string().optional(),
    complexity: z.enum(['simple', 'moderate', 'complex']).optional(),
    reasoning: z.string().optional(),
    usage: Usage.optional(),
  })
  .strict();
export type PlanMetadata = z.infer<typeof PlanMetadata>;

export const POLICIES = ['critical-path', 'fifo', 'levels'] as const;
/** How the ready queue is ordered. */
export const Policy = z.enum(POLICIES);
export type Policy = z.infer<typeof Policy>;

/** M: how many tasks may run at once. */
export const Concurrency = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_CONCURRENCY, `must be at most ${MAX_CONCURRENCY}`);

/** A whole plan, as read from a file or produced by the planner. */
export const Plan = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).default('plan'),
    maxConcurrency: Concurrency.default(4),
    policy: Policy.default('critical-path'),
    onFailure: z.enum(['continue', 'fail-fast']).default('continue'),
    toleratedFailures: z
      .union([z.number().int().min(0), z.string().regex(/^\d+(\.\d+)?%$/, 'use a count or a percentage like "10%"')])
      .optional()
      .describe('Failures allowed before the run fails fast. Unset: no limit under "continue".'),
    defaults: z
      .object({
        retry: RetrySpec.optional(),
        timeout: Duration.optional(),
        heartbeatTimeout: Duration.optional(),
        execution: Execution.optional(),
      })
      .strict()
      .default({}),
    groups: z.record(z.string(), z.object({ maxConcurrency: z.number().int() }).strict()).default({}),
    tasks: z
      .array(Task)
      .min(1, 'the plan has no tasks: add at least one to "tasks"')
      .max(MAX_TASKS, `a plan may have at most ${MAX_TASKS} tasks: split it into several plans`),
    metadata: PlanMetadata.optional(),
  })
  .strict();
export type Plan = z.infer<typeof Plan>;
/** A plan as written by a person, before defaults and durations are applied. */
export type PlanInput = z.input<typeof Plan>;

/** JSON Schema for editors and for structured AI output, generated from the same zod schema. */
export function planJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Plan, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
