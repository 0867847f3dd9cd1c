import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { validatePlan, type Plan } from './core';
import { PlanError } from './errors';

/**
 * Reads a plan from a JSON or YAML file and validates it completely. Throws a PlanError listing
 * every problem, so nothing starts from a half-valid plan.
 */
export function loadPlanFile(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanError(path, [code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`]);
  }
  return parsePlanText(text, path);
}

/** Parses plan text (JSON is YAML, so one parser serves both) and validates it. */
export function parsePlanText(text: string, source = 'plan'): Plan {
  text = text.replace(/^\uFEFF/, ''); // editors on Windows write a byte-order mark
  let raw: unknown;
  try {
    raw = /\.json$/i.test(source) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const kind = /\.json$/i.test(source) ? 'invalid JSON' : 'invalid YAML';
    throw new PlanError(source, [`${kind}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const checked = validatePlan(raw);
  if (!checked.ok) throw new PlanError(source, checked.error);
  return checked.value;
}
