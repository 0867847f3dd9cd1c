import type { Command } from 'commander';
import { ZodError } from 'zod';
import { isGrpcServiceError } from '@temporalio/client';
import { parseDuration, parseParamFlags, resolveParams, type ParamValue, type Plan } from '../core';
import { ExitCode, PtqError, UnreachableError } from '../errors';
import { connectionSettings, type ConnectionFlags } from '../temporal/connection';
import { connectClient } from '../client';
import { rideOutOutage } from '../client/outage';

/** Adds the connection flags every server-facing command takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option('--address <host:port>', 'Temporal frontend (env TEMPORAL_ADDRESS)')
    .option('--namespace <ns>', 'Temporal namespace (env TEMPORAL_NAMESPACE)')
    .option('--api-key <key>', 'API key, e.g. for Temporal Cloud (env TEMPORAL_API_KEY)')
    .option('--tls-cert <file>', 'client certificate (env TEMPORAL_TLS_CERT)')
    .option('--tls-key <file>', 'client key (env TEMPORAL_TLS_KEY)')
    .option('--tls-ca <file>', 'server CA certificate (env TEMPORAL_TLS_CA)')
    .option('--profile <name>', "a profile of the temporal CLI's config file (env TEMPORAL_PROFILE)");
}

/** A client for the connection flags of this command (other flags are ignored). */
export function clientFor(flags: object) {
  return connectClient(flags as ConnectionFlags);
}

/** A client for a command that waits on a run: an unreachable server is waited for, as in `rideOutOutage`. */
export function waitingClientFor(flags: object) {
  return rideOutOutage(() => clientFor(flags), addressOf(flags));
}

/** The address the flags point at, for messages. */
export function addressOf(flags: object): string {
  return connectionSettings(flags as ConnectionFlags).address;
}

/** Prints machine-readable output. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parses a positive integer flag or fails with a clear line. */
export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new PtqError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Adds `-p NAME=VALUE` (repeatable) for the plan's params. */
export function withParams(cmd: Command): Command {
  return cmd.option(
    '-p, --param <name=value>',
    'set a plan parameter (repeat for more)',
    (value: string, all: string[] | undefined) => [...(all ?? []), value],
  );
}

/** The plan's params from `-p` flags, checked and typed; every problem in one line, exit 2. */
export function paramsFor(plan: Plan, flags: string[] = []): Record<string, ParamValue> {
  const parsed = parseParamFlags(flags);
  if (!parsed.ok) throw new PtqError(parsed.error.join('; '));
  const resolved = resolveParams(plan, parsed.value);
  if (!resolved.ok) throw new PtqError(resolved.error.join('; '));
  return resolved.value;
}

/** Parses a duration flag ("30s", "2m", or milliseconds) or fails with a clear line. */
export function durationOption(name: string) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === undefined) throw new PtqError(`${name} must be a duration like "30s" or "2m", got "${value}"`);
    return ms;
  };
}

/**
 * Wraps a command action: errors meant for people print as one line with their exit code; an
 * unreachable server becomes exit code 3; anything else is a bug and shows its stack with --verbose.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const verbose = Boolean(cmd.optsWithGlobals?.().verbose);
    try {
      process.exitCode = (await fn(...args)) ?? ExitCode.ok;
    } catch (err) {
      const known = asPtqError(err, cmd.optsWithGlobals?.() ?? {});
      process.stderr.write(`ptq: ${known ? known.line() : withRootCause(err)}\n`);
      if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = known ? known.code : ExitCode.failed;
    }
  };
}

/** An SDK error's own message often hides the real reason ("Failed to start Workflow"): add the innermost cause. */
function withRootCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  let root = err;
  while (root instanceof Error && root.cause) root = root.cause;
  const cause = root instanceof Error ? root.message : String(root);
  return root !== err && cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}

function asPtqError(err: unknown, flags: object): PtqError | undefined {
  if (err instanceof PtqError) return err;
  // The client's gRPC "unavailable", and the worker's native connection failing (a raw transport dump).
  if ((isGrpcServiceError(err) && err.code === 14) || (err instanceof Error && err.name === 'TransportError'))
    return new UnreachableError(addressOf(flags));
  if (err instanceof ZodError) return new PtqError(err.issues.map((i) => i.message).join('; '));
  return undefined;
}
