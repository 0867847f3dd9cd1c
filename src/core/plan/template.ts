/**
 * Templates: `{{tasks.ID.output}}`, `{{tasks.ID.json.a.b[0]}}`, `{{tasks.ID.results}}` (a map's
 * results file), `{{params.NAME}}`, `{{run.id}}`, `{{task.id}}`, `{{task.attempt}}`, and in a map's
 * steps `{{item}}`, `{{item.a.b}}` and `{{index}}`, in step fields. Pure: parsing, listing every reference of a
 * value (for `validate`) and resolving against a context (in the activity that runs the step).
 *
 * Values are substituted as data, never re-parsed: a value that replaces a whole argv element stays
 * that one element, whatever it contains. A string that is exactly one template takes the value's
 * own type (`"body": "{{tasks.a.json}}"` sends the object); inside a longer string, non-strings are
 * written as JSON.
 */

/** One reference inside `{{ }}`. */
export type TemplateRef =
  | { kind: 'task'; task: string; field: 'output' | 'json' | 'results'; path: Array<string | number> }
  | { kind: 'item'; path: Array<string | number> }
  | { kind: 'index' }
  | { kind: 'param'; name: string }
  | { kind: 'run'; field: 'id' }
  | { kind: 'self'; field: SelfField };

/** `{{task.X}}`: the task's own id, attempt, and in a plan with a workspace, its worktree and branch. */
const SELF_FIELDS = ['id', 'attempt', 'worktree', 'branch'] as const;
type SelfField = (typeof SELF_FIELDS)[number];

/** What templates resolve against. Only the tasks a step references are in `tasks`. */
export interface TemplateContext {
  tasks: Record<string, { output?: string; json?: unknown; results?: string }>;
  params: Record<string, unknown>;
  run: { id: string };
  /** `remote`: the workspace's git URL, for the step's activity to fetch and push (not a template). */
  task: { id: string; attempt?: number; worktree?: string; branch?: string; remote?: string };
  /** In a map's steps: the item and its position in the list. */
  item?: unknown;
  index?: number;
}

/** Template values from dependency outputs alone, as runs from before templates passed them to llm steps. */
export function outputsContext(outputs: Record<string, string>, taskId = ''): TemplateContext {
  const tasks = Object.fromEntries(Object.entries(outputs).map(([id, output]) => [id, { output }]));
  return { tasks, params: {}, run: { id: '' }, task: { id: taskId } };
}

/** Thrown when a template cannot be parsed or resolved; the message says which and why. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const PATH_SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\])/;

/** Parses the text between `{{` and `}}`. */
export function parseRef(text: string): TemplateRef {
  const [root, ...rest] = text.split('.');
  switch (root) {
    case 'params':
      if (rest.length === 1 && rest[0]) return { kind: 'param', name: rest[0] };
      break;
    case 'run':
      if (rest.join('.') === 'id') return { kind: 'run', field: 'id' };
      break;
    case 'task':
      if (rest.length === 1 && (SELF_FIELDS as readonly string[]).includes(rest[0]))
        return { kind: 'self', field: rest[0] as SelfField };
      break;
    case 'tasks':
      return parseTaskRef(text.slice('tasks.'.length));
    case 'index':
      if (rest.length === 0) return { kind: 'index' };
      break;
  }
  const item = /^item(?=$|[.[])/.exec(text);
  if (item) return { kind: 'item', path: parsePath(text.slice(4), text) };
  throw new TemplateError(
    `{{${text}}} is not a template ptq knows: use tasks.ID.output, tasks.ID.json[.path], tasks.ID.results, params.NAME, run.id, task.id, task.attempt, task.worktree, task.branch, item[.path] or index`,
  );
}

/** `ID.output` or `ID.json` plus a path; ids may hold dots, so the field is found from the right. */
function parseTaskRef(text: string): TemplateRef {
  const field = /^(.+)\.(output|results)$/.exec(text);
  if (field) return { kind: 'task', task: field[1], field: field[2] as 'output' | 'results', path: [] };
  const json = /^(.+?)\.json(?=$|[.[])/.exec(text);
  if (!json) throw new TemplateError(`{{tasks.${text}}} needs .output, .json or .results after the task id`);
  return { kind: 'task', task: json[1], field: 'json', path: parsePath(text.slice(json[0].length), `tasks.${text}`) };
}

/** `.a.b[0]["c d"]` as keys and indices. */
function parsePath(text: string, whole: string): Array<string | number> {
  const path: Array<string | number> = [];
  let rest = text;
  while (rest) {
    const m = PATH_SEGMENT.exec(rest);
    if (!m) throw new TemplateError(`{{${whole}}}: cannot read the path at "${rest}"`);
    path.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
    rest = rest.slice(m[0].length);
  }
  return path;
}

/** Every template in a value (strings, arrays and objects, deeply), with where it was found. */
export function templatesIn(value: unknown, where = ''): Array<{ where: string; text: string }> {
  const found: Array<{ where: string; text: string }> = [];
  const stack: Array<[unknown, string]> = [[value, where]];
  while (stack.length) {
    const [v, at] = stack.pop() as [unknown, string];
    if (typeof v === 'string') for (const m of v.matchAll(TEMPLATE)) found.push({ where: at, text: m[1] });
    else if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${at}[${i}]`]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) stack.push([x, at ? `${at}.${k}` : k]);
  }
  return found;
}

/** The value a reference stands for. */
export function lookup(ref: TemplateRef, ctx: TemplateContext): unknown {
  switch (ref.kind) {
    case 'param':
      if (!Object.hasOwn(ctx.params, ref.name)) throw new TemplateError(`{{params.${ref.name}}}: no such parameter`);
      return ctx.params[ref.name];
    case 'run':
      return ctx.run.id;
    case 'self':
      if (ref.field === 'attempt' && ctx.task.attempt === undefined)
        throw new TemplateError('{{task.attempt}} is only known where a step runs, not in activity input');
      if (ctx.task[ref.field] === undefined)
        throw new TemplateError(`{{task.${ref.field}}}: the task has no ${ref.field}: set "workspace" in the plan`);
      return ctx.task[ref.field];
    case 'index':
      if (ctx.index === undefined) throw new TemplateError('{{index}} is only known in the steps of a map');
      return ctx.index;
    case 'item':
      if (!('item' in ctx)) throw new TemplateError('{{item}} is only known in the steps of a map');
      return follow(ctx.item, ref.path, `item${pathText(ref.path)}`, 'item');
    case 'task': {
      const t = Object.hasOwn(ctx.tasks, ref.task) ? ctx.tasks[ref.task] : undefined;
      if (!t) throw new TemplateError(`{{tasks.${ref.task}.${ref.field}}}: task "${ref.task}" has no result here`);
      if (ref.field === 'output') return t.output ?? '';
      if (ref.field === 'results') {
        if (t.results === undefined)
          throw new TemplateError(`{{tasks.${ref.task}.results}}: "${ref.task}" is not a map`);
        return t.results;
      }
      return follow(t.json, ref.path, `tasks.${ref.task}.json${pathText(ref.path)}`, 'output');
    }
  }
}

/** Walks a path into a JSON value; a missing key names the template and the key. */
function follow(value: unknown, path: Array<string | number>, template: string, what: string): unknown {
  let v = value;
  for (const key of path) {
    const next = v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as never)[key] : undefined;
    if (next === undefined) throw new TemplateError(`{{${template}}}: no "${key}" in the ${what}`);
    v = next;
  }
  return v;
}

function pathText(path: Array<string | number>): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

/** Resolves every template in a string; non-string values are written as JSON. */
export function resolveString(text: string, ctx: TemplateContext): string {
  return text.replace(TEMPLATE, (_, inner: string) => {
    const v = lookup(parseRef(inner), ctx);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/** Resolves templates deeply; a string that is exactly one template keeps the value's type. */
export function resolveValue(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    return whole ? lookup(parseRef(whole[1]), ctx) : resolveString(value, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, ctx));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, ctx)]));
  return value;
}
