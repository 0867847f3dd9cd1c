import { ApplicationFailure } from '@temporalio/common';
import { allowedSecrets, secretValues, workerEnv } from '../workerSecrets';

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
      throw ApplicationFailure.nonRetryable(
        `secret ${name} is not allowed on this worker: add it to PTQ_SECRETS where \`ptq worker\` runs`,
        'SecretNotAllowed',
      );
    if (env[name] === undefined)
      throw ApplicationFailure.nonRetryable(
        `secret ${name} is not set in the worker's environment`,
        'SecretNotAllowed',
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
