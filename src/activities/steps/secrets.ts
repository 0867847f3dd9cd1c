import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';

/**
 * Plans are code from whoever can start a run, while the worker's environment holds its API keys.
 * So a step sees only a minimal environment, plus what the plan sets and the secrets the worker
 * allows (`PTQ_SECRETS=NAME,...`), and every secret value is masked as `***` in what leaves it,
 * as GitHub Actions does.
 */

/** What every step may see of the worker's environment: enough to find programs and a home. */
const BASE_VARS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

/** Names that hold secrets by convention; their values are masked even when no plan asks for them. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/** Shorter values would mask ordinary words and digits. */
const MIN_MASKED_LENGTH = 4;

/** Worker variables a plan may pass to its steps by name. */
export function allowedSecrets(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    (env.PTQ_SECRETS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** The environment of a step: base variables, the plan's `env`, then the secrets it names. */
export function stepEnvironment(
  step: { env?: Record<string, string>; secrets?: string[] },
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of BASE_VARS) if (env[name] !== undefined) out[name] = env[name];
  Object.assign(out, step.env);
  const allowed = allowedSecrets(env);
  for (const name of step.secrets ?? []) {
    if (!allowed.has(name))
      throw ApplicationFailure.create(
        failureOf(
          'SecretNotAllowed',
          `secret ${name} is not allowed on this worker: add it to PTQ_SECRETS where \`ptq worker\` runs`,
        ),
      );
    if (env[name] === undefined)
      throw ApplicationFailure.create(
        failureOf('SecretNotAllowed', `secret ${name} is not set in the worker's environment`),
      );
    out[name] = env[name];
  }
  return out;
}

/** Every value to mask: allowed secrets and anything whose name says it is one. Longest first. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const allowed = allowedSecrets(env);
  const values = Object.entries(env)
    // PTQ_SECRETS has SECRET in its name but holds names, which would turn `NAME=***` into `***=***`.
    .filter(([name, value]) => value && name !== 'PTQ_SECRETS' && (allowed.has(name) || SECRET_NAME.test(name)))
    .map(([, value]) => value as string)
    .filter((v) => v.length >= MIN_MASKED_LENGTH);
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

/** Replaces every secret value in `text` with `***`. The scan of the environment is cheap (tens of variables). */
export function mask(text: string, values: string[] = secretValues()): string {
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join('***');
  return out;
}

/**
 * A JSON value with every secret masked in its strings and keys. Masking the JSON text instead
 * could break it (a secret of digits inside a number); a number that holds a secret becomes the
 * masked string.
 */
export function maskValue<T>(value: T, values: string[] = secretValues()): T {
  if (values.length === 0) return value;
  return maskIn(value, values) as T;
}

function maskIn(value: unknown, values: string[]): unknown {
  if (typeof value === 'string') return mask(value, values);
  if (typeof value === 'number') {
    const text = String(value);
    const masked = mask(text, values);
    return masked === text ? value : masked;
  }
  if (Array.isArray(value)) return value.map((v) => maskIn(v, values));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [mask(k, values), maskIn(v, values)]));
}
