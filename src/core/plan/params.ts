import type { Plan } from './plan';
import type { Result } from './validate';

/** A run parameter's value, typed as its plan declares. */
export type ParamValue = string | number | boolean;

/**
 * Checks and types the values given for a run (`-p NAME=VALUE`, all strings) against the plan's
 * `params`: unknown names, values of the wrong type and missing values without a default are
 * reported together, before anything starts.
 */
export function resolveParams(plan: Plan, given: Record<string, string>): Result<Record<string, ParamValue>, string[]> {
  const problems: string[] = [];
  const values: Record<string, ParamValue> = {};
  const declared = plan.params ?? {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const known = Object.keys(declared);
      problems.push(
        `unknown parameter "${name}": ${known.length ? `the plan declares ${known.join(', ')}` : 'the plan declares no params'}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined) {
      if (spec.default === undefined) problems.push(`parameter "${name}" is required: pass -p ${name}=VALUE`);
      else values[name] = spec.default;
      continue;
    }
    const value = typed(raw, spec.type);
    if (value === undefined) problems.push(`parameter "${name}" must be a ${spec.type}, got "${raw}"`);
    else values[name] = value;
  }
  return problems.length ? { ok: false, error: problems } : { ok: true, value: values };
}

function typed(raw: string, type: 'string' | 'number' | 'boolean'): ParamValue | undefined {
  switch (type) {
    case 'string':
      return raw;
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
  }
}

/** Parses `NAME=VALUE` flags into a record; a flag without `=` is reported. */
export function parseParamFlags(flags: string[]): Result<Record<string, string>, string[]> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) problems.push(`-p ${flag}: use -p NAME=VALUE`);
    else out[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  return problems.length ? { ok: false, error: problems } : { ok: true, value: out };
}
