import { isGrpcServiceError } from '@temporalio/client';
import { parseDuration } from '../core';
import { ExitCode, PtqError, UnreachableError } from '../errors';

/** gRPC codes that mean "the server is not there right now", not "the request is wrong". */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/** How long waiting commands ride out an outage: `PTQ_WAIT_FOR_SERVER`, default a minute. */
export function outageToleranceMs(env = process.env): number {
  return parseDuration(env.PTQ_WAIT_FOR_SERVER ?? '') ?? 60_000;
}

/** True when an error, or any error it wraps, says the server could not be reached. */
export function isUnavailable(err: unknown): boolean {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof UnreachableError) return true;
    if (isGrpcServiceError(e) && (e.code === UNAVAILABLE || e.code === DEADLINE_EXCEEDED)) return true;
    if (e instanceof Error && /Connection refused|transport error|UNAVAILABLE/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs `call` again while the server is unreachable, for commands that wait on a run (`result`,
 * `watch`, `start --wait`): a server restart must not make them report a failure the run never
 * had. Says once that it is waiting; after `toleranceMs` of outage in a row it gives up with exit 3.
 */
export async function rideOutOutage<T>(
  call: () => Promise<T>,
  address: string,
  toleranceMs = outageToleranceMs(),
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<T> {
  let since: number | undefined;
  for (;;) {
    try {
      const value = await call();
      if (since !== undefined) say('ptq: Temporal is back');
      return value;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      if (since === undefined) {
        since = Date.now();
        say(`ptq: waiting for Temporal at ${address}…`);
      } else if (Date.now() - since > toleranceMs) {
        throw new PtqError(
          `Temporal at ${address} has been unreachable for ${Math.round((Date.now() - since) / 1000)}s`,
          ExitCode.unreachable,
          'the run itself goes on on the server: check it later with `ptq status` or `ptq result`',
        );
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
