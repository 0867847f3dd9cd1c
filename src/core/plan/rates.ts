/**
 * Request rates of named limits: "20/s", "600/m", "10000/h". Plans and `ptq limit set` write them
 * as text; Temporal's task queue config takes requests per second, so this is the one place that
 * turns one into the other. No zod here: workflow code imports it (see limits.ts for why).
 */

const PER: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Most requests per second a limit may allow: far above any API, far below float trouble. */
export const MAX_RATE_PER_SECOND = 100_000;

/** A limit's name: it becomes part of a task queue name, so it stays short and plain. */
export const LIMIT_NAME = /^[A-Za-z][\w-]{0,62}$/;

/** Requests per second of `text` ("20/s", "600/m", "1.5/s"), or undefined if it is not a rate. */
export function parseRate(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([smh])\s*$/.exec(text);
  if (!match) return undefined;
  const perSecond = Number(match[1]) / PER[match[2]];
  return perSecond > 0 && perSecond <= MAX_RATE_PER_SECOND ? perSecond : undefined;
}

/** Why `text` is not a rate, or undefined if it is. */
export function rateProblem(text: string): string | undefined {
  return parseRate(text) === undefined
    ? `bad rate ${JSON.stringify(text)}: use a number per second, minute or hour above 0, e.g. "20/s", "600/m", "10000/h"`
    : undefined;
}

/**
 * Why `burst` does not fit a limit of `perSecond`, or undefined if it does. A burst is how many
 * starts a worker lets through at once (activities/limits/pacing.ts); more than one second of the
 * rate would never happen, because Temporal's own limiter lets no more through at once.
 */
export function burstProblem(burst: number, perSecond: number): string | undefined {
  const most = Math.max(1, Math.floor(perSecond));
  if (Number.isInteger(burst) && burst >= 1 && burst <= most) return undefined;
  return `burst must be a whole number from 1 to ${most} (one second of the rate: Temporal lets no more through at once), got ${burst}`;
}

/** A rate for people: "20/s", "0.5/s", or per minute when under one a second ("30/m"). */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1) return `${round(perSecond)}/s`;
  if (perSecond * 60 >= 1) return `${round(perSecond * 60)}/m`;
  return `${round(perSecond * 3600)}/h`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The activity task queue of the limit `name`: its rate is the limit's (see temporal/limits.ts). */
export function limitTaskQueue(name: string): string {
  return `ptq-limit-${name}`;
}
