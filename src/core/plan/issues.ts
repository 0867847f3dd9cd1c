import type { z } from 'zod';

/**
 * Turns zod issues into lines a person can act on: each names the task (by id, not by index) and
 * the field, and says what was expected. Zod's own wording ("Invalid input") names neither.
 */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const { path, message } = innermost(issue);
  return `${where(path, input)}${message}`;
}

/** Unions hide the real problem in their branches: follow the branch that got furthest. */
function innermost(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && !isCustom(issue.message)) {
    const branches = issue.errors.filter((b) => b.length > 0);
    // The branch whose first issue is deepest matched the most of the input, e.g. the step object
    // rather than the array form of `run`.
    const best = branches.sort((a, b) => b[0].path.length - a[0].path.length)[0];
    if (best) {
      const inner = innermost(best[0]);
      return { path: [...issue.path, ...inner.path], message: inner.message };
    }
  }
  return { path: issue.path, message: describe(issue) };
}

/** Messages ptq wrote itself are kept; zod's generic ones start with "Invalid". */
function isCustom(message: string): boolean {
  return !/^Invalid (input|option)/.test(message);
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!/^Invalid input/.test(issue.message)) return issue.message;
      return issue.input === undefined
        ? `required: expected ${issue.expected}`
        : `expected ${issue.expected}, got ${kindOf(issue.input)}`;
    case 'unrecognized_keys':
      return issue.keys.map((k) => `unknown key "${k}"${suggestion(k)}`).join(', ');
    case 'invalid_value':
      return issue.message.replace(/^Invalid option: /, '');
    case 'invalid_union':
      return isCustom(issue.message) ? issue.message : 'does not match any allowed form';
    default:
      return issue.message;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** `task "extract": run.duration: ` rather than `tasks[1].run.duration: `. */
function where(path: PropertyKey[], input: unknown): string {
  if (path.length === 0) return 'plan: ';
  let prefix = '';
  let rest = path;
  if (path[0] === 'tasks' && typeof path[1] === 'number') {
    const id = (input as { tasks?: Array<{ id?: unknown }> })?.tasks?.[path[1]]?.id;
    prefix = typeof id === 'string' && id ? `task "${id}"` : `tasks[${path[1]}]`;
    rest = path.slice(2);
  }
  const field = rest.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return `${[prefix, field].filter(Boolean).join(': ')}: `;
}

/** Every key a plan, task or step may have, for "did you mean". */
const KNOWN_KEYS = [
  'name', 'maxConcurrency', 'policy', 'onFailure', 'toleratedFailures', 'defaults', 'groups', 'tasks', 'metadata',
  'id', 'title', 'dependsOn', 'estimate', 'priority', 'group', 'resources', 'run', 'retry', 'timeout',
  'heartbeatTimeout', 'execution', 'type', 'command', 'cwd', 'env', 'secrets', 'description', 'method', 'url',
  'headers', 'body', 'expectStatus', 'duration', 'input', 'prompt', 'system', 'model', 'maxOutputTokens',
  'map', 'items', 'maxParallel', 'until', 'while', 'onStop', 'file', 'format', 'range', 'llm', 'maxRepairs',
  'output', 'when', 'runIf', 'unsafeShellTemplates', 'params', 'finally', 'jsonOutputLimit', 'queuePriority', 'fairness',
  'weight', 'auto', 'min', 'max', 'maximumAttempts', 'initialInterval', 'backoffCoefficient', 'maximumInterval', 'nonRetryableErrorTypes',
]; // prettier-ignore

function suggestion(key: string): string {
  if (key.length < 3) return '';
  const lower = key.toLowerCase();
  const best = KNOWN_KEYS.map((k) => ({ k, d: distance(lower, k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  // A key of another level (a task's `finally: true` where `finally:` is a list of the plan).
  if (best?.k === key) return `: "${key}" is a key of another level of the plan, not of this one (see \`ptq schema\`)`;
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? `: did you mean "${best.k}"?` : '';
}

/** Levenshtein distance, for short keys only. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
