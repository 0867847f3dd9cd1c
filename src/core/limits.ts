/**
 * Limits shared by the zod schema and by workflow code. This file has no zod import on purpose:
 * workflow code imports it, and every module a workflow imports is evaluated again for each new
 * workflow execution (zod schemas cost ~20ms of CPU per child there, measured with --cpu-prof).
 */

/** Most tasks a run may keep running at once; Temporal allows 2,000 pending children per run. */
export const MAX_CONCURRENCY = 2000;

/** Why `n` is not a valid M, or undefined if it is. */
export function concurrencyProblem(n: unknown): string | undefined {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_CONCURRENCY
    ? undefined
    : `concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${String(n)}`;
}

/**
 * Most tasks in one plan. A run carries its plan and scheduler state across continue-as-new as one
 * payload, which Temporal refuses over 2 MB. ptq's payload codec gzips it: 20,000 tasks are about
 * 4.8 MB of JSON and 280 KB compressed (plus at most 500 KB of output tails). Measured end to end
 * with `npm run bench -- --scale`.
 */
export const MAX_TASKS = 20_000;
