/**
 * Every failure type ptq raises, in one table: what it means and whether Temporal retries it.
 * Activities and workflows raise only these names (`stepFailure`, `failureOf`), code that reads a
 * failure compares against them (`isFailureType`), and retry policies list them (`neverRetried`),
 * so a rename or a change of retry is one edit here that the compiler carries everywhere. The
 * README's table of failure types is checked against this one (test/core/failures.test.ts).
 *
 * `retried` is true to the code: `false` for a type raised as non-retryable or listed in a retry
 * policy's `nonRetryableErrorTypes`; a string names the cases that are retried when the raiser
 * decides per failure (an HTTP status, a provider's answer).
 */
export const FAILURES = {
  ShellExitError: { meaning: 'a shell step exited non-zero or was killed', retried: true },
  ShellTimeout: { meaning: 'a shell step ran past its `timeout`', retried: true },
  CommandNotFound: { meaning: 'the program or `cwd` does not exist', retried: false },
  HttpError: { meaning: 'the request failed (refused, reset, DNS)', retried: true },
  HttpStatusError: { meaning: 'an unexpected status', retried: '5xx, 408, 429 only' },
  HttpBlockedAddress: { meaning: 'a link-local or metadata address (see Reliability and trust)', retried: false },
  BrowserError: { meaning: 'a page could not be loaded (refused, DNS, Chromium crashed)', retried: true },
  BrowserTimeout: { meaning: 'a browser step ran past its `timeout` (page, `waitFor`, extract)', retried: true },
  BrowserStatusError: { meaning: "a browser step's page answered non-2xx", retried: '5xx, 408, 429 only' },
  BrowserBlocked: {
    meaning: 'the page or a redirect is at a link-local or metadata address',
    retried: false,
  },
  BrowserExtractError: { meaning: 'an `extract` selector is not valid CSS', retried: false },
  BrowserUnavailable: { meaning: 'no Chromium on this worker (set `PTQ_CHROMIUM`)', retried: true },
  RateLimited: {
    meaning: 'a 429/503 under an adaptive rate limit; started again, no attempt',
    retried: 'after Retry-After',
  },
  LlmError: { meaning: 'the model call failed', retried: 'rate limits and 5xx' },
  LlmStepLimit: {
    meaning: 'an llm step with tools used up `maxSteps` or `budgetUsd`, no answer',
    retried: false,
  },
  ToolCallRefused: {
    meaning: "a model's tool call its llm step does not allow (e.g. a program)",
    retried: false,
  },
  AgentExitError: { meaning: 'an agent step exited non-zero or was killed', retried: true },
  AgentTimeout: { meaning: 'an agent step ran past its `timeout`', retried: true },
  AgentOutputError: { meaning: 'an agent printed no report in its output format', retried: true },
  AgentError: { meaning: 'an agent ran but reported an error', retried: false },
  TemplateError: { meaning: "a template's value is missing at run time", retried: false },
  OutputNotJson: { meaning: '`"output": "json"` and the output is not JSON or over the cap', retried: false },
  SecretNotAllowed: { meaning: "a step names a secret the worker's `PTQ_SECRETS` does not allow", retried: false },
  GitError: { meaning: 'a git command in a workspace failed', retried: true },
  WorkspaceError: { meaning: "`workspace.git`'s repo or base cannot be found or cloned", retried: false },
  ItemSourceError: { meaning: "a map's items cannot be read (file, command or model answer)", retried: false },
  ResultsMissing: { meaning: "a map's results are not on this worker (share `PTQ_DATA_DIR`)", retried: false },
  StatusSyncError: { meaning: '`--sync-status` cannot read the task list', retried: false },
  TaskFailed: { meaning: 'a task failed for good, as its run sees it (its steps were retried)', retried: false },
  RunFailed: { meaning: 'a run ended with failed tasks; its summary is in the details', retried: false },
  PlanValidationError: { meaning: 'the plan given to a run is invalid', retried: false },
  PlannerError: { meaning: 'AI planning failed; the run fails once retries are spent', retried: 'rate limits and 5xx' },
  StateTooLarge: { meaning: 'the run cannot carry its state across continue-as-new', retried: false },
  PtqInternalError: { meaning: "a bug in ptq's workflow code; the run ends with the reason", retried: false },
} as const satisfies Record<string, FailureInfo>;

/** One row of the table. */
export interface FailureInfo {
  /** When it is raised, for people reading a failure in the Web UI or `ptq status`. */
  meaning: string;
  /** true or false, or the cases that are retried when the raiser decides per failure. */
  retried: boolean | string;
}

/** The name of a failure ptq raises: the `type` of its ApplicationFailure. */
export type FailureType = keyof typeof FAILURES;

type Retried<T extends FailureType> = (typeof FAILURES)[T]['retried'];

/** Types retried in some cases only: their raiser says whether this failure is. */
export type RetriedSometimes = { [T in FailureType]: Retried<T> extends string ? T : never }[FailureType];

/** Types never retried: the only ones a retry policy of ptq's own lists as non-retryable. */
export type NeverRetried = { [T in FailureType]: Retried<T> extends false ? T : never }[FailureType];

/** What a raiser adds for a type of `RetriedSometimes`: whether this failure is retryable. */
export type RetryCase<T extends FailureType> = T extends RetriedSometimes ? [retryable: boolean] : [];

/** The fields of an ApplicationFailure of `type`: whether it may be retried comes from the table. */
export function failureOf<T extends FailureType>(
  type: T,
  message: string,
  ...[retryable]: RetryCase<T>
): { type: T; message: string; nonRetryable: boolean } {
  return { type, message, nonRetryable: !isRetried(type, retryable) };
}

/** Whether a failure of `type` may be retried; `retryable` decides for a type retried in some cases only. */
export function isRetried(type: FailureType, retryable?: boolean): boolean {
  const { retried } = FAILURES[type] as FailureInfo;
  return typeof retried === 'boolean' ? retried : retryable === true;
}

/** A retry policy's `nonRetryableErrorTypes`: it compiles only while the table says these are never retried. */
export function neverRetried(...types: NeverRetried[]): NeverRetried[] {
  return types;
}

/** Whether a failure's type, a plain string once it crossed Temporal, is `type`. */
export function isFailureType(actual: string | null | undefined, type: FailureType): boolean {
  return actual === type;
}
