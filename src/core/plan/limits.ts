/**
 * Limits shared by the zod schema and by workflow code. This file has no zod import on purpose:
 * workflow code imports it, and every module a workflow imports is evaluated again for each new
 * workflow execution (zod schemas cost ~20ms of CPU per child there, measured with --cpu-prof).
 */

/**
 * Most for M. M caps a run's tasks and every map's items in flight; a map above 500 runs in shards
 * (core/schedule/shards.ts), so M goes as high as a map's maxParallel.
 */
export const MAX_CONCURRENCY = 10_000;

/**
 * Most tasks of one run running at once, whatever M says: each is a child workflow of the run, and
 * Temporal allows 2,000 pending children per workflow. An M above it is for maps' items.
 */
export const MAX_RUNNING_TASKS = 2_000;

/** Why `n` is not a whole number from 1 to `max`, or undefined if it is. */
function countProblem(what: string, n: unknown, max: number): string | undefined {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max
    ? undefined
    : `${what} must be an integer from 1 to ${max}, got ${String(n)}`;
}

/** Why `n` is not a valid M, or undefined if it is. */
export function concurrencyProblem(n: unknown): string | undefined {
  return countProblem('concurrency', n, MAX_CONCURRENCY);
}

/** Throws a RangeError saying why `n` is not a valid M (for update validators and the scheduler). */
export function assertConcurrency(n: unknown): void {
  const problem = concurrencyProblem(n);
  if (problem) throw new RangeError(problem);
}

/**
 * Most items of one map running at once. Above 500 activities (Temporal's advice per workflow) a map
 * splits into shard workflows of at most 100 activities each (core/schedule/shards.ts), 100 shards at most.
 */
export const MAX_MAP_PARALLEL = 10_000;

/**
 * Most items in flight of a map that runs in one workflow (it started at or below the shard size):
 * Temporal refuses more than 2,000 pending activities per workflow, and this was the cap before shards.
 */
export const MAX_UNSHARDED_PARALLEL = 1_000;

/** Throws a RangeError saying why `n` is not a valid maxParallel (the setMaxParallel update's validator). */
export function assertMaxParallel(n: unknown): void {
  const problem = countProblem('maxParallel', n, MAX_MAP_PARALLEL);
  if (problem) throw new RangeError(problem);
}

/** The validator of a map that runs in one workflow: it cannot grow into shards while it runs. */
export function assertUnshardedParallel(n: unknown): void {
  const problem = countProblem('maxParallel', n, MAX_UNSHARDED_PARALLEL);
  if (problem)
    throw new RangeError(
      `${problem}: this map runs in one workflow (it started with maxParallel of 500 or less); start it with more to run it in shards`,
    );
}

/**
 * Most items of one map. A map this size takes an hour or more at a few hundred items a second
 * (use `batch` for tiny items); a larger one is split into maps. The spool and the results are
 * written and sorted in slices, so no worker holds them all. The source is refused when it has
 * more: a range up front, other sources as soon as the spool passes this count.
 */
export const MAX_MAP_ITEMS = 1_000_000;

/** Most bytes of one map's item spool (items as JSON lines): the worker's disk, not a payload. */
export const MAX_SPOOL_BYTES = 1024 * 1024 * 1024;

/**
 * Most tasks in one plan. A run carries its plan and scheduler state across continue-as-new as one
 * payload, which Temporal refuses over 2 MB. ptq's payload codec gzips it: 50,000 short tasks are
 * about 12 MB of JSON and 560 KB compressed mid-run (plus at most 500 KB of output tails). Measured
 * end to end with `npm run bench -- --only scale`.
 */
export const MAX_TASKS = 50_000;

/** Longest duration anywhere in a plan: Temporal overflows on larger timers and timeouts. */
export const MAX_DURATION_MS = 365 * 24 * 3_600_000;

/** Temporal encodes attempts and token counts as int32. */
export const INT32_MAX = 2_147_483_647;

/**
 * Longest task id. A child's workflow id is `RUN/TASK` and Temporal refuses ids over 1,000
 * characters (the command fails, and the run would hang), so RUN and TASK share that budget.
 */
export const MAX_TASK_ID_CHARS = 200;

/** Longest run id (`--id`), so `RUN/TASK` stays under Temporal's 1,000 characters. */
export const MAX_RUN_ID_CHARS = 1_000 - MAX_TASK_ID_CHARS - 1;

/** Longest group or resource name. */
export const MAX_NAME_CHARS = 200;

/** Longest single text field (prompt, argv element, header...): bulk data belongs in files. */
export const MAX_TEXT_CHARS = 256 * 1024;

/** Deepest nesting of a JSON value in a plan (activity input, http body). */
export const MAX_JSON_DEPTH = 64;

/** Why `value` nests deeper than MAX_JSON_DEPTH, or undefined. Iterative: no stack to overflow. */
export function jsonDepthProblem(value: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return `nested more than ${MAX_JSON_DEPTH} levels deep: flatten it or pass a file path`;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return undefined;
}

/** Temporal refuses a payload over 2 MB ("Blob data size exceeds limit"); ptq keeps a margin. */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024 - 64 * 1024;

/** Most bytes of JSON a task may hand to its dependents by default; big data goes through files. */
export const DEFAULT_JSON_OUTPUT_LIMIT = 64 * 1024;

/** Model turns of an llm step with tools, unless `maxSteps` says otherwise. */
export const DEFAULT_LLM_STEPS = 8;
/** The most model turns `maxSteps` allows: each turn's transcript is recorded in the history. */
export const MAX_LLM_STEPS = 50;
/** Characters of a tool result the model gets, unless `toolResultChars` says otherwise. */
export const DEFAULT_TOOL_RESULT_CHARS = 8_000;
