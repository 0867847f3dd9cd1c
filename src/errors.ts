/** Exit codes a script can trust. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  /** `ptq validate`: the plan uses a rate limit that it does not declare and the server does not have. */
  unknownLimit: 4,
  cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Base class of every error meant for a person: one line that says what is wrong, a suggestion of
 * what to do, and the exit code the CLI ends with. The CLI prints these without a stack trace.
 */
export class PtqError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode = ExitCode.usage,
    readonly suggestion?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The line shown to the user. */
  line(): string {
    return this.suggestion ? `${this.message}: ${this.suggestion}` : this.message;
  }
}

/** Thrown when a plan file cannot be read or fails validation; holds every problem found. */
export class PlanError extends PtqError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.join('; ')}`, ExitCode.usage);
  }
}

/** A run or task that does not exist (the HTTP API answers 404). */
export class NotFoundError extends PtqError {}

/** Thrown when the Temporal server cannot be reached. */
export class UnreachableError extends PtqError {
  constructor(address: string) {
    super(
      `cannot reach Temporal at ${address}`,
      ExitCode.unreachable,
      'start one with `ptq dev` or set TEMPORAL_ADDRESS',
    );
  }
}

/** Thrown when the Temporal CLI is needed but cannot be found or installed. */
export class TemporalCliMissingError extends PtqError {
  constructor(reason: string) {
    super(
      `Temporal CLI not available (${reason})`,
      ExitCode.usage,
      'install it by hand with `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` and put it on PATH, or set TEMPORAL_CLI_PATH',
    );
  }
}
