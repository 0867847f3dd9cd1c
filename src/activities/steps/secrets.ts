import { ApplicationFailure } from '@temporalio/common';
import { failureOf } from '../../core/failures';
import { allowedSecrets, secretValues, workerEnv } from '../../workerSecrets';

/**
 * Plans are code from whoever can start a run, while the worker's environment holds its API keys.
 * So a step sees only a minimal environment, plus what the plan sets and the secrets the worker
 * allows (`PTQ_SECRETS=NAME,...`), and every secret value is masked as `***` in what leaves it,
 * as GitHub Actions does. The values come from what the worker holds (workerSecrets.ts), not from
 * its own environment, which keeps none of them.
 */

/** What every step may see of the worker's environment: enough to find programs and a home. */
const BASE_VARS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

/** The environment of a step: base variables, the plan's `env`, then the secrets it names. */
export function stepEnvironment(
  step: { env?: Record<string, string>; secrets?: string[] },
  env: NodeJS.ProcessEnv = workerEnv(),
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
