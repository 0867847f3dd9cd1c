import { z } from 'zod';
import { parseDuration } from './duration';
import { expandGroupPhases, PHASES } from './groups';
import { ToolSpec } from '../tools/registry';
import {
  INT32_MAX,
  MAX_DURATION_MS,
  MAX_NAME_CHARS,
  MAX_TASK_ID_CHARS,
  MAX_TEXT_CHARS,
  MAX_CONCURRENCY,
  MAX_TASKS,
  MAX_MAP_PARALLEL,
  MAX_MAP_ITEMS,
  DEFAULT_JSON_OUTPUT_LIMIT,
  DEFAULT_LLM_STEPS,
  DEFAULT_TOOL_RESULT_CHARS,
  MAX_LLM_STEPS,
  jsonDepthProblem,
} from './limits';
import { burstProblem, LIMIT_NAME, parseRate, rateProblem } from './rates';

/**
 * The plan schema. It is the single source of truth: plan files, AI planner output, workflow input
 * and `ptq schema` all come from here. Types are inferred, never written twice.
 */

const DURATION_HINT = 'a duration like "250ms", "2s", "5m", "1h" or a number of milliseconds';

/**
 * A duration in a plan file; parses to milliseconds so the rest of ptq only sees numbers. At most
 * a year: Temporal refuses or overflows on larger timers and timeouts.
 */
function duration(min: number, what: string) {
  return z
    .union([z.string(), z.number()], {
      error: (issue) => (issue.input === undefined ? `required: ${DURATION_HINT}` : `expected ${DURATION_HINT}`),
    })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < min || ms > MAX_DURATION_MS) {
        const range = min > 0 ? `${what} from ${min}ms to 365 days` : `${what} of at most 365 days`;
        ctx.addIssue({ code: 'custom', message: `bad duration ${JSON.stringify(value)}: use ${range}, e.g. "2s"` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description: 'A duration: "250ms", "2s", "5m", "1h", or a number of milliseconds.' });
}

/** Any duration from 0 to a year (sleeps, estimates, retry intervals). */
export const Duration = duration(0, 'a duration');
/** A timeout: 0 would mean "none" to Temporal, so it is refused rather than silently unlimited. */
export const Timeout = duration(1, 'a timeout');
/**
 * How long a step may go without a heartbeat before Temporal declares its worker dead and retries
 * it elsewhere: the crash-detection time. Steps heartbeat every 0.5 s, so it must be at least 1 s.
 */
export const HeartbeatTimeout = duration(1_000, 'a heartbeat timeout');

/** Whether a string holds a `{{ }}` template. */
export function hasTemplate(text: string): boolean {
  return /\{\{[^{}]*\}\}/.test(text);
}

function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);
}

/** Free text with a size cap, so no field alone can push a plan past Temporal's payload limit. */
const Text = z.string().max(MAX_TEXT_CHARS, `too long: at most ${MAX_TEXT_CHARS} characters, move bulk data to a file`);

/** Refuses values nested deeper than MAX_JSON_DEPTH levels: they cannot be sent as payloads. */
function shallow<T extends z.ZodType>(schema: T) {
  return schema.superRefine((value, ctx) => {
    const problem = jsonDepthProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A group or resource name. */
const Name = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_NAME_CHARS, `at most ${MAX_NAME_CHARS} characters`)
  .refine((n) => n !== '__proto__', '"__proto__" is reserved: pick another name');

/** The name of a rate limit: part of its task queue's name. */
const LimitName = z
  .string()
  .regex(LIMIT_NAME, 'limit names start with a letter and use letters, digits, "_" and "-" (at most 63)');

/** Retry policy for a task's activities; Temporal carries it out durably. */
export const RetrySpec = z
  .object({
    maximumAttempts: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(INT32_MAX, `must be at most ${INT32_MAX}`)
      .optional()
      .describe('Attempts in total, including the first.'),
    initialInterval: Duration.optional(),
    backoffCoefficient: z.number().min(1, 'must be at least 1').max(100, 'must be at most 100').optional(),
    maximumInterval: Duration.optional(),
    nonRetryableErrorTypes: z.array(z.string()).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const problem = retryProblem(r);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
export type RetrySpec = z.infer<typeof RetrySpec>;

const Env = z.record(z.string(), Text);

/** Why a (merged) retry policy would be refused by Temporal, or undefined. */
export function retryProblem(r: { initialInterval?: number; maximumInterval?: number }): string | undefined {
  const initial = r.initialInterval ?? 1_000;
  if (r.maximumInterval !== undefined && r.maximumInterval < initial)
    return `retry.maximumInterval (${r.maximumInterval}ms) is less than retry.initialInterval (${initial}ms): raise maximumInterval or lower initialInterval`;
  return undefined;
}

/**
 * Runs a program with an argv array; nothing is ever passed through a shell. A template inside the
 * code of `sh -c` or `node -e` is refused (validate says how to pass the value in `env`) unless
 * `unsafeShellTemplates` is set.
 */
export const ShellStep = z
  .object({
    type: z.literal('shell'),
    command: z.array(Text).min(1, 'command needs at least the program name, e.g. ["npm", "test"]'),
    cwd: Text.optional(),
    env: Env.optional().describe('Variables the step sees on top of PATH, HOME, LANG, TZ and TMPDIR.'),
    unsafeShellTemplates: z
      .boolean()
      .optional()
      .describe(
        'Allow templates inside the code of sh -c, bash -c, node -e, python -c...: the shell or interpreter parses their values as code, so a value can run commands. Default false: pass values in env and read "$NAME".',
      ),
    secrets: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a secret is the name of an environment variable'))
      .optional()
      .describe("Worker environment variables passed to the step; the worker's PTQ_SECRETS must allow each."),
    timeout: Timeout.optional(),
    description: z.string().optional(),
  })
  .strict();

/** Calls an HTTP endpoint and checks the status. */
export const HttpStep = z
  .object({
    type: z.literal('http'),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: z
      .string()
      .refine(
        (u) => hasTemplate(u) || isHttpUrl(u),
        'expected an http:// or https:// URL (templates are checked when the step runs)',
      ),
    headers: z.record(z.string(), Text).optional(),
    body: shallow(
      z.union([Text, z.record(z.string(), z.unknown()), z.array(z.unknown())], {
        error: 'expected a string, an object or an array',
      }),
    ).optional(),
    expectStatus: z.array(z.number().int().min(100).max(599)).optional().describe('Default: any 2xx.'),
    timeout: Timeout.optional(),
    description: z.string().optional(),
  })
  .strict();

/** Fields a browser step's output always has; `extract` may not name them. */
export const BROWSER_OUTPUT_FIELDS = ['status', 'finalUrl', 'timings', 'screenshot'] as const;

/**
 * Loads a page in a headless Chromium from the worker's pool and extracts fields from it. Each
 * extract is `title`, `status`, `url`, a CSS selector (its text), or `selector@attr`; a trailing
 * `[]` takes every match. The output is JSON: the fields, plus status, finalUrl and timings.
 */
export const BrowserStep = z
  .object({
    type: z.literal('browser'),
    url: HttpStep.shape.url,
    waitFor: Text.optional().describe(
      'A CSS selector to wait for, or "load" (default), "domcontentloaded", "networkidle".',
    ),
    extract: z
      .record(
        z.string().refine((k) => !(BROWSER_OUTPUT_FIELDS as readonly string[]).includes(k), {
          message: `${BROWSER_OUTPUT_FIELDS.join(', ')} are in every browser output: pick another name`,
        }),
        Text.min(1, 'must not be empty'),
      )
      .optional()
      .describe(
        'name: "title", "status", "url", a CSS selector (text), "selector@attr"; "[]" at the end for all matches.',
      ),
    screenshot: z.boolean().optional().describe('Save a PNG under PTQ_DATA_DIR; its path is in the output.'),
    timeout: Timeout.optional().describe('Default 30s: for loading, waiting and extracting.'),
    description: z.string().optional(),
  })
  .strict();
export type BrowserStep = z.infer<typeof BrowserStep>;

/** Waits on a durable timer; costs no worker slot. */
export const SleepStep = z
  .object({ type: z.literal('sleep'), duration: Duration, description: z.string().optional() })
  .strict();

/** Calls an activity that the user registered on the worker, by name. */
export const ActivityStep = z
  .object({
    type: z.literal('activity'),
    name: z.string().min(1, 'must name an activity registered on the worker'),
    input: shallow(z.unknown()).optional(),
    timeout: Timeout.optional(),
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
    prompt: Text.min(1, 'must not be empty'),
    system: Text.optional(),
    model: z.string().optional().describe('Default: PTQ_MODEL on the worker.'),
    maxOutputTokens: z.number().int().min(1).max(INT32_MAX).optional(),
    tools: z
      .array(ToolSpec)
      .min(1, 'list at least one tool, or leave tools out')
      .optional()
      .describe(
        'Tools the model may call, each call its own activity: http, {shell: {allow: [programs]}}. The loop runs in the workflow.',
      ),
    maxSteps: z
      .number()
      .int()
      .min(1)
      .max(MAX_LLM_STEPS, `at most ${MAX_LLM_STEPS} model turns`)
      .optional()
      .describe(
        `With tools: model turns at most (default ${DEFAULT_LLM_STEPS}); the task fails once they are used up.`,
      ),
    budgetUsd: z
      .number()
      .positive()
      .optional()
      .describe('With tools: stop the loop, failing the task, once its turns have cost this much.'),
    toolResultChars: z
      .number()
      .int()
      .min(256)
      .max(65_536)
      .optional()
      .describe(`With tools: most characters of a tool result the model gets (default ${DEFAULT_TOOL_RESULT_CHARS}).`),
    timeout: Timeout.optional(),
    description: z.string().optional(),
  })
  .strict();

/** The agent CLIs ptq knows how to run and read the cost of. */
export const AGENTS = ['claude', 'codex'] as const;

/**
 * Runs a coding agent headless, in the task's worktree when the plan has a workspace: `claude -p
 * PROMPT --output-format json`, `codex exec --json PROMPT`, or any CLI given as `{command, output}`
 * (the prompt is its last argument). Its tokens and cost are counted like an llm step's.
 */
export const AgentStep = z
  .object({
    type: z.literal('agent'),
    agent: z.union([
      z.enum(AGENTS),
      z
        .object({
          command: z.array(Text).min(1, 'command needs at least the program name'),
          output: z
            .enum(['claude-json', 'codex-jsonl', 'text'])
            .default('text')
            .describe(
              'How to read its stdout: like claude --output-format json, like codex exec --json, or plain text.',
            ),
        })
        .strict(),
    ]),
    prompt: Text.min(1, 'must not be empty'),
    model: z.string().optional(),
    maxTurns: z.number().int().min(1).max(10_000).optional().describe('claude: --max-turns.'),
    maxBudgetUsd: z.number().positive().optional().describe('claude: --max-budget-usd.'),
    permissionMode: z
      .string()
      .optional()
      .describe('claude: --permission-mode (default acceptEdits, so it may edit files in its worktree).'),
    args: z.array(Text).optional().describe('More arguments for the agent CLI, before the prompt.'),
    cwd: Text.optional().describe("Default: the task's worktree, or the worker's directory."),
    env: Env.optional(),
    secrets: ShellStep.shape.secrets,
    timeout: Timeout.optional(),
    description: z.string().optional(),
  })
  .strict();
export type AgentStep = z.infer<typeof AgentStep>;

export const STEP_TYPES = ['shell', 'http', 'sleep', 'activity', 'llm', 'agent', 'browser'] as const;

/** One unit of work inside a task. */
export const Step = z.discriminatedUnion(
  'type',
  [ShellStep, HttpStep, BrowserStep, SleepStep, ActivityStep, LlmStep, AgentStep],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown step type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}: use one of ${STEP_TYPES.join(', ')}`
        : undefined,
  },
);
export type Step = z.infer<typeof Step>;
/** One step, or a list run in order. */
const Steps = z.union([Step, z.array(Step).min(1, 'needs at least one step')]);
export type ShellStep = z.infer<typeof ShellStep>;
export type HttpStep = z.infer<typeof HttpStep>;
export type LlmStep = z.infer<typeof LlmStep>;

/**
 * Where a task's steps run. `child` gives every task its own child workflow, with its own history in
 * the Web UI. `inline` runs the steps as activities of the run itself: no child, about a seventh of
 * the server work per task and a quarter of the latency between tasks. `auto` (the default) picks
 * per task: see `executionOf`.
 */
export const Execution = z.enum(['auto', 'child', 'inline']);
export type Execution = z.infer<typeof Execution>;

/** Failures allowed: a count, or a percentage of the tasks (or a map's items). */
const Tolerance = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+(\.\d+)?%$/, 'use a count or a percentage like "10%"'),
]);

const Whole = z.number().int('must be a whole number');

/**
 * Where a map's items come from. Each source is read once, when the map starts, into a spool file
 * that the map then reads page by page, so no payload ever holds all the items.
 */
export const ItemSource = z.union(
  [
    z
      .string()
      .refine(hasTemplate, 'a string source is a template for a JSON array, like "{{tasks.extract.json.urls}}"'),
    shallow(z.array(z.unknown())).describe('A literal list.'),
    z
      .object({
        file: Text.min(1).describe('A JSON array, JSONL (one value a line) or CSV with a header row.'),
        format: z.enum(['json', 'jsonl', 'csv']).optional().describe('Default: from the file extension.'),
      })
      .strict(),
    z
      .object({
        command: z.array(Text).min(1, 'command needs at least the program name'),
        cwd: Text.optional(),
        timeout: Timeout.optional(),
      })
      .strict()
      .describe('Its stdout: a JSON array, or one item a line.'),
    z
      .object({
        range: z
          .tuple([Whole, Whole])
          .rest(Whole)
          .refine((r) => r.length <= 3 && (r[2] ?? 1) > 0, '[start, end] or [start, end, step] with step >= 1')
          .refine(
            ([start, end, step = 1]) => step <= 0 || Math.ceil((end - start) / step) <= MAX_MAP_ITEMS,
            `a map has at most ${MAX_MAP_ITEMS.toLocaleString('en-US')} items: split the range into several maps`,
          ),
      })
      .strict()
      .describe('Numbers from start up to (not including) end.'),
    z
      .object({
        llm: z
          .object({
            prompt: Text.min(1, 'must not be empty'),
            system: Text.optional(),
            model: z.string().optional(),
            maxRepairs: z.number().int().min(0).max(5).default(2),
            tools: z
              .array(ToolSpec)
              .min(1, 'list at least one tool, or leave tools out')
              .optional()
              .describe("Tools the model may call before it answers, as an llm step's."),
            maxSteps: z
              .number()
              .int()
              .min(1)
              .max(MAX_LLM_STEPS, `at most ${MAX_LLM_STEPS} model turns`)
              .optional()
              .describe(`With tools: model turns at most (default ${DEFAULT_LLM_STEPS}).`),
          })
          .strict(),
      })
      .strict()
      .describe('A model answer that must be a JSON array; answers that are not go back to the model.'),
  ],
  { error: 'expected a template, a list, or one of {file}, {command}, {range}, {llm}' },
);
export type ItemSource = z.infer<typeof ItemSource>;

const MapParallel = Whole.min(1, 'must be at least 1').max(MAX_MAP_PARALLEL, `must be at most ${MAX_MAP_PARALLEL}`);

/** Runs the task's steps once per item, `maxParallel` at a time, stopping early on a condition. */
export const MapSpec = z
  .object({
    items: ItemSource,
    maxParallel: z
      .union([MapParallel, z.literal('auto')], { error: 'expected a whole number or "auto"' })
      .default(10)
      .describe(
        'Items running at once; "auto": found from latency and errors (see auto). The plan\'s maxConcurrency caps it too.',
      ),
    auto: z
      .object({
        min: MapParallel.default(1),
        // An auto map runs in one workflow (its controller moves one limit), which should hold at most 500.
        max: MapParallel.max(500, 'must be at most 500: a map with maxParallel auto runs in one workflow').default(200),
      })
      .strict()
      .refine((a) => a.min <= a.max, 'min must not be above max')
      .optional()
      .describe('Bounds of `maxParallel: auto` (default 1 to 200).'),
    toleratedFailures: Tolerance.default(0).describe(
      'Failed items allowed before the map stops and fails. Default 0: the first failure stops it.',
    ),
    until: z
      .union([
        Text,
        z
          .object({
            llm: z
              .object({
                prompt: Text.min(1, 'must not be empty'),
                every: Whole.min(1).default(10).describe('Ask after every N completed items.'),
                model: z.string().optional(),
                tools: z
                  .array(ToolSpec)
                  .min(1, 'list at least one tool, or leave tools out')
                  .optional()
                  .describe("Tools the model may call before it answers, as an llm step's."),
                maxSteps: z
                  .number()
                  .int()
                  .min(1)
                  .max(MAX_LLM_STEPS, `at most ${MAX_LLM_STEPS} model turns`)
                  .optional()
                  .describe(`With tools: model turns per check at most (default ${DEFAULT_LLM_STEPS}).`),
              })
              .strict(),
          })
          .strict(),
      ])
      .optional()
      .describe(
        'CEL over the results so far (results, last, done, succeeded, failed, running, total): stop once true. Or {llm: {prompt, every}}: ask the model every N items.',
      ),
    while: Text.optional().describe('CEL like `until`: keep going only while true.'),
    batch: Whole.min(1, 'must be at least 1')
      .max(1_000, 'at most 1000 items per activity')
      .default(1)
      .describe(
        'Items per activity, for tiny items: their steps run one item after another in one activity (shell, http and llm steps). An item in a batch is tried once; a batch whose worker died is retried whole.',
      ),
    onStop: z
      .enum(['cancel', 'drain'])
      .default('cancel')
      .describe('"cancel": running items are cancelled (processes killed); "drain": they finish.'),
  })
  .strict();
export type MapSpec = z.infer<typeof MapSpec>;

/** Temporal's priority key: 1 runs first, 5 last; 3 is the default. */
export const QueuePriority = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be from 1 (first) to 5 (last)')
  .max(5, 'must be from 1 (first) to 5 (last)');

/** How a run shares workers with other runs: runs split them in proportion to their weights. */
export const Fairness = z
  .object({
    key: z
      .string()
      .min(1)
      .refine((k) => utf8Length(k) <= 64, 'at most 64 bytes (a Temporal fairness key)')
      .optional()
      .describe('Runs with the same key share one share of the workers. Default: the run id.'),
    weight: z
      .number()
      .min(0.001)
      .max(1000)
      .optional()
      .describe('The share of this key, relative to others (default 1).'),
  })
  .strict();
export type Fairness = z.infer<typeof Fairness>;

/** Bytes of a string in UTF-8, without Buffer (workflow code parses plans too). */
function utf8Length(text: string): number {
  return encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, 'x').length;
}

const TaskId = z
  .string()
  .max(MAX_TASK_ID_CHARS, `at most ${MAX_TASK_ID_CHARS} characters (it becomes part of a workflow id)`)
  .regex(/^[A-Za-z0-9][\w.:-]*$/, 'task ids use letters, digits, "_", ".", ":" and "-" (they become workflow ids)');

/** A task: steps run in order inside one child workflow. */
export const Task = z
  .object({
    id: TaskId,
    title: Text.optional(),
    dependsOn: z.array(z.string()).default([]),
    estimate: Duration.optional().describe('Expected duration; drives critical-path priority. Default 1s.'),
    priority: z.number().default(0).describe('Tie-break between equally critical tasks; higher first.'),
    queuePriority: QueuePriority.optional().describe(
      "This task's place on the workers' queues, 1 (first) to 5 (last); default: the run's priority.",
    ),
    group: Name.optional().describe('A group declared in the plan\'s "groups", whose limit applies on top of M.'),
    resources: z.array(Name).optional().describe('Mutexes: tasks sharing a resource never overlap.'),
    files: z
      .array(Text.min(1))
      .optional()
      .describe('Paths or globs the task edits; tasks whose files overlap never run at once.'),
    run: Steps.describe(
      'One step or a list run in order. Step strings may hold templates: {{tasks.ID.output}}, {{tasks.ID.json.a.b[0]}}, {{params.NAME}}, {{run.id}}, {{task.id}}, {{task.attempt}}.',
    ),
    retry: RetrySpec.optional(),
    timeout: Timeout.optional().describe('Per-attempt timeout of each step.'),
    heartbeatTimeout: HeartbeatTimeout.optional().describe(
      'How soon a step whose worker died is retried elsewhere. Default 10s (more for items of a map above 500 in flight).',
    ),
    execution: Execution.optional().describe(
      '"auto" (default): inline when estimated under 10s and without llm or agent steps, else a child; "child": own child workflow; "inline": activities of the run.',
    ),
    output: z
      .enum(['text', 'json'])
      .optional()
      .describe(
        '"json": the last step\'s stdout (http: body, activity: return value, llm: answer) is parsed as JSON, for {{tasks.ID.json.path}}.',
      ),
    when: Text.optional().describe(
      'CEL condition over tasks.ID.output/.json/.status of its dependencies and params; false skips the task.',
    ),
    runIf: z
      .enum(['success', 'always', 'failure'])
      .optional()
      .describe(
        '"success" (default): all dependencies succeeded; "always": once they ended, whatever the outcome; "failure": some dependency failed or was cancelled.',
      ),
    rateLimit: LimitName.optional().describe(
      'A named rate limit (the plan\'s "limits" or `ptq limit set`): every start of every step of this task counts against it.',
    ),
    rateKey: Text.optional().describe(
      'With rateLimit: a template for the key each step counts under (e.g. "{{item.host}}"); the limit\'s perKey rate holds per key.',
    ),
    map: MapSpec.optional().describe(
      'Run the steps once per item ({{item}}, {{item.field}}, {{index}}), with its own parallel limit and stop conditions.',
    ),
    final: z.boolean().optional().describe('Set by ptq on the tasks of "finally"; do not set it yourself.'),
    phase: z
      .object({ group: Name, kind: z.enum(PHASES) })
      .strict()
      .optional()
      .describe("Set by ptq on a group's before and after tasks; do not set it yourself."),
  })
  .strict();
export type Task = z.infer<typeof Task>;

/** A rate: "20/s", "600/m", "10000/h". Kept as text so a parsed plan parses again to itself. */
const Rate = z.string().superRefine((text, ctx) => {
  const problem = rateProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * A named rate limit a plan declares. Limits are global to the namespace: one that exists already
 * keeps its own values, and this one is created with these only when it does not.
 */
export const LimitSpec = z
  .object({
    rate: Rate.describe('Starts of its steps per second, minute or hour over all runs and workers: "20/s".'),
    perKey: Rate.optional().describe("Each rateKey's own rate, within `rate`."),
    adaptive: z
      .boolean()
      .optional()
      .describe('`rate` is a ceiling: the rate backs off on 429/503 and probes back up while they stop.'),
    burst: z
      .number()
      .optional()
      .describe(
        'Steps a worker may start at once above the steady rate (default 1: evenly spaced); at most one second of the rate.',
      ),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const rate = parseRate(spec.rate);
    const problem = spec.burst === undefined || rate === undefined ? undefined : burstProblem(spec.burst, rate);
    if (problem) ctx.addIssue({ code: 'custom', path: ['burst'], message: problem });
  });
export type LimitSpec = z.infer<typeof LimitSpec>;

/** A run parameter: `{{params.NAME}}`, set with `ptq start -p NAME=VALUE`. */
export const ParamSpec = z
  .object({
    type: z.enum(['string', 'number', 'boolean']).default('string'),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    description: Text.optional(),
  })
  .strict();
export type ParamSpec = z.infer<typeof ParamSpec>;

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

/**
 * Where coding tasks work: a git repository whose integration branch collects every task's work.
 * Each task gets its own worktree on its own branch, made from the integration branch when it
 * starts; when it succeeds, its branch is merged back, one merge at a time, so dependents start
 * from their dependencies' merged work.
 */
export const Workspace = z
  .object({
    git: z
      .object({
        repo: Text.min(1)
          .default('.')
          .describe('A path every worker can reach (relative paths are resolved by `ptq start`), or a git URL.'),
        base: z.string().min(1).optional().describe('Branch to start from. Default: the branch checked out in repo.'),
        branch: z
          .string()
          .min(1)
          .default('ptq/{{run.id}}')
          .describe('The integration branch, created from base. It stays after the run, for review.'),
      })
      .strict(),
    isolation: z
      .enum(['worktree', 'group', 'none'])
      .default('worktree')
      .describe(
        '"worktree": one per task; "group": one per group, kept warm (ignored files such as builds stay), its tasks one at a time; "none": every task works in the integration worktree.',
      ),
    include: z
      .array(Text.min(1))
      .default([])
      .describe('Untracked paths copied into every worktree, e.g. ".env" or "node_modules" (linked).'),
    merge: z.enum(['merge', 'rebase', 'squash']).default('merge'),
    onConflict: z
      .enum(['fail', 'retry'])
      .default('fail')
      .describe('"retry": run the task once more from the new integration head; "fail": the task fails.'),
  })
  .strict();
export type Workspace = z.infer<typeof Workspace>;

/**
 * Task status written back to the task list a plan was imported from (`ptq start --sync-status`),
 * as the tool's own `set-status` would: in-progress when a task starts, done when it succeeds,
 * pending again when it fails or is cancelled.
 */
export const StatusSync = z
  .object({
    taskmaster: z
      .object({
        file: Text.min(1).describe('Absolute path of the tasks.json; every worker must reach it.'),
        tag: z.string().min(1).optional().describe('The tag the tasks came from; none for the legacy form.'),
        tasks: z
          .record(
            z.string(),
            z.object({ task: z.string(), subtask: z.string().optional(), nth: Whole.min(2).optional() }).strict(),
          )
          .describe('Each plan task id: the TaskMaster task (and subtask) it came from.'),
      })
      .strict(),
  })
  .strict();
export type StatusSync = z.infer<typeof StatusSync>;

/** A workspace repo given as a git URL (each worker clones it) rather than a path. */
export function isGitUrl(repo: string): boolean {
  return /^[a-z][\w+.-]*:\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo);
}

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable of the worker');

/**
 * A webhook told when the run ends: the summary is POSTed as JSON, retried on failure. Tokens stay
 * on the worker: `urlFrom` and `secretHeaders` name its variables (allowed by PTQ_SECRETS), so no
 * secret is written into the plan or the run's history.
 */
export const Notify = z
  .object({
    on: z
      .array(z.enum(['succeeded', 'failed', 'cancelled']))
      .min(1)
      .default(['succeeded', 'failed', 'cancelled'])
      .describe('The run outcomes to post (default: all).'),
    url: z.string().refine(isHttpUrl, 'expected an http:// or https:// URL').optional(),
    urlFrom: EnvName.optional().describe('A worker variable holding the URL, for URLs that carry a token.'),
    headers: z.record(z.string(), Text).optional(),
    secretHeaders: z
      .record(z.string(), EnvName)
      .optional()
      .describe('Header name → the worker variable holding its value, e.g. {"Authorization": "HOOK_AUTH"}.'),
  })
  .strict()
  .refine((n) => (n.url === undefined) !== (n.urlFrom === undefined), 'give url or urlFrom (one of them)');
export type Notify = z.infer<typeof Notify>;

/** M: how many tasks may run at once. */
export const Concurrency = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_CONCURRENCY, `must be at most ${MAX_CONCURRENCY}`);

/** Most tasks `maxConcurrency: auto` runs at once: its controller moves one run's M, which should hold at most 500. */
const AutoConcurrency = Concurrency.max(500, 'must be at most 500: one run keeps at most 500 tasks running');

/**
 * The bounds of `maxConcurrency: auto`. A parsed plan keeps them with `maxConcurrency` set to their
 * max, the most it runs (the M that validation, maps and the simulator see), so it parses again to itself.
 */
const ConcurrencyAuto = z
  .object({ min: AutoConcurrency.default(1), max: AutoConcurrency.default(200) })
  .strict()
  .refine((a) => a.min <= a.max, 'min must not be above max');

/** A whole plan, as read from a file or produced by the planner. */
export const Plan = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).default('plan'),
    maxConcurrency: z
      .union([Concurrency, z.literal('auto')], { error: 'expected a whole number or "auto"' })
      .default(4)
      .describe(
        'M: tasks running at once (default 4); "auto": found from how long tasks take against their estimates, and from retries (see maxConcurrencyAuto). It caps every map\'s maxParallel and every group\'s maxConcurrency too.',
      ),
    maxConcurrencyAuto: ConcurrencyAuto.optional().describe(
      'Bounds of `maxConcurrency: auto` (default 1 to 200, at most 500).',
    ),
    priority: QueuePriority.optional().describe(
      "The run's place on the workers' queues, 1 (first) to 5 (last); default 3. Every task and step of the run inherits it.",
    ),
    fairness: Fairness.optional().describe(
      'Runs that share workers split them by weight, per key (default key: the run id), so a big run cannot starve a small one.',
    ),
    policy: Policy.default('critical-path'),
    onFailure: z.enum(['continue', 'fail-fast']).default('continue'),
    toleratedFailures: Tolerance.optional().describe(
      'Failures allowed before the run fails fast. Unset: no limit under "continue".',
    ),
    defaults: z
      .object({
        retry: RetrySpec.optional(),
        timeout: Timeout.optional(),
        heartbeatTimeout: HeartbeatTimeout.optional(),
        execution: Execution.optional(),
      })
      .strict()
      .default({}),
    groups: z
      .record(
        Name,
        z
          .object({
            maxConcurrency: z.number().int('must be a whole number').optional(),
            before: Steps.optional().describe(
              "Runs once before the group's first task starts; failing, it skips them.",
            ),
            after: Steps.optional().describe(
              "Runs once after the group's last task ends; failing, it skips what depends on the group.",
            ),
          })
          .strict(),
      )
      .default({}),
    limits: z
      .record(LimitName, LimitSpec)
      .default({})
      .describe('Named rate limits the tasks use (`rateLimit`), created with these values if missing.'),
    params: z
      .record(z.string().regex(/^[A-Za-z_]\w*$/, 'parameter names use letters, digits and "_"'), ParamSpec)
      .default({}),
    jsonOutputLimit: z
      .number()
      .int()
      .min(1)
      .max(1 << 20, 'at most 1 MB: the outputs live in the run state; pass big data in files')
      .default(DEFAULT_JSON_OUTPUT_LIMIT)
      .describe("Most bytes of a task's JSON output (default 64 KB)."),
    tasks: z
      .array(Task)
      .min(1, 'the plan has no tasks: add at least one to "tasks"')
      .max(MAX_TASKS, `a plan may have at most ${MAX_TASKS} tasks: split it into several plans`),
    finally: z
      .array(Task)
      .optional()
      .describe('Tasks that run after all others, whether the run succeeded, failed or was cancelled.'),
    workspace: Workspace.optional(),
    budgetUsd: z
      .number()
      .positive()
      .optional()
      .describe('Stop starting tasks once llm and agent steps have cost this much; the summary says so.'),
    metadata: PlanMetadata.optional(),
    notify: z.array(Notify).max(10, 'at most 10 webhooks').optional().describe('Webhooks told when the run ends.'),
    sync: StatusSync.optional().describe('Set by `ptq start --sync-status`: status goes back to the task list.'),
  })
  .strict()
  // One task list for the scheduler: `final` marks the tasks of `finally`, `phase` a group's
  // before and after tasks. The output parses again to itself, as workflows re-validate plans.
  .transform(({ finally: last, groups, maxConcurrency, maxConcurrencyAuto, ...plan }, ctx) => {
    const all = [...plan.tasks, ...(last ?? []).map((t) => ({ ...t, final: true }))];
    const { tasks, problems } = expandGroupPhases(all, groups);
    for (const p of problems) ctx.addIssue({ code: 'custom', message: p.message, path: ['groups', p.group] });
    const limits = Object.entries(groups).map(([name, g]) => [name, { maxConcurrency: g.maxConcurrency }] as const);
    const auto = maxConcurrency === 'auto' ? (maxConcurrencyAuto ?? { min: 1, max: 200 }) : maxConcurrencyAuto;
    if (auto && maxConcurrency !== 'auto' && maxConcurrency !== auto.max)
      ctx.addIssue({
        code: 'custom',
        message: 'maxConcurrencyAuto is for "maxConcurrency": "auto": set that, or remove maxConcurrencyAuto',
        path: ['maxConcurrencyAuto'],
      });
    return {
      ...plan,
      maxConcurrency: auto ? auto.max : (maxConcurrency as number),
      ...(auto ? { maxConcurrencyAuto: auto } : {}),
      groups: Object.fromEntries(limits) as Record<string, { maxConcurrency?: number }>,
      tasks,
    };
  });
export type Plan = z.infer<typeof Plan>;
/** A plan as written by a person, before defaults and durations are applied. */
export type PlanInput = z.input<typeof Plan>;

/** JSON Schema for editors and for structured AI output, generated from the same zod schema. */
export function planJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Plan, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
