import { conditionReads } from './celRefs';
import { exprAst, exprProblem } from './expr';
import type { Plan, Task } from './plan';
import { scriptTemplateProblem } from './scriptArgs';
import { stepsOf } from './steps';
import { stepTemplates } from './stepTemplates';
import { parseRef, templatesIn, TemplateError } from './template';

/**
 * Checks every template and condition of a plan, so a reference that could never resolve is found
 * by `validate`, not halfway through a run: unknown roots and parameters, tasks that are not
 * dependencies (they may not have run yet), `.json` of a task without `"output": "json"`,
 * `task.attempt` in activity input (only a running step knows its attempt), `item` outside a map,
 * a template inside the code of `sh -c` or `node -e` (its value would be parsed as code); and the
 * CEL of `when`, `until` and `while`: its cost (see celCost.ts) and what it reads, the same way
 * (see `readProblem`).
 */
export function templateProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const byId = new Map(plan.tasks.map((t) => [t.id, t] as const));
  const ancestorsOf = ancestry(byId);
  for (const task of plan.tasks) {
    stepsOf(task).forEach((step, i) => {
      const stepName = Array.isArray(task.run) ? `run[${i}]` : 'run';
      for (const { where, text } of stepTemplates(step)) {
        const field = `${stepName}.${where}`;
        const problem = refProblem(text, task, plan, byId, ancestorsOf, { inActivityInput: step.type === 'activity' });
        if (problem) problems.push(`task "${task.id}": ${field}: ${problem}`);
      }
      const code = step.type === 'shell' && !step.unsafeShellTemplates;
      const inCode = code && scriptTemplateProblem(step.command, `${stepName}.command`, true);
      if (inCode) problems.push(`task "${task.id}": ${inCode}`);
    });
    const items = task.map?.items;
    const itemsCode =
      typeof items === 'object' &&
      'command' in items &&
      scriptTemplateProblem(items.command, 'map.items.command', false);
    if (itemsCode) problems.push(`task "${task.id}": ${itemsCode}`);
    for (const { where, text } of typeof items === 'string' ? templatesIn(items) : templatesIn(items, 'items')) {
      const problem = refProblem(text, task, plan, byId, ancestorsOf, { inItems: true });
      if (problem) problems.push(`task "${task.id}": map.${where || 'items'}: ${problem}`);
    }
    const until = task.map?.until;
    const conditions = {
      when: task.when,
      'map.until': typeof until === 'string' ? until : undefined,
      'map.while': task.map?.while,
    };
    for (const [field, expression] of Object.entries(conditions)) {
      if (expression === undefined) continue;
      const problem = exprProblem(expression);
      if (problem) problems.push(`task "${task.id}": ${field}: ${problem}`);
      const ast = problem ? undefined : exprAst(expression);
      const names = field === 'when' ? WHEN_NAMES : MAP_NAMES;
      for (const read of ast ? conditionReads(ast) : []) {
        const bad = readProblem(read, names, task, plan, byId);
        if (bad) problems.push(`task "${task.id}": ${field}: ${bad}`);
      }
    }
    if (task.map && task.execution === 'inline')
      problems.push(`task "${task.id}": a map runs as its own workflow, not inline: remove "execution": "inline"`);
  }
  return problems;
}

function refProblem(
  text: string,
  task: Task,
  plan: Plan,
  byId: Map<string, Task>,
  ancestorsOf: (t: Task) => Set<string>,
  where: { inActivityInput?: boolean; inItems?: boolean },
): string | undefined {
  let ref;
  try {
    ref = parseRef(text);
  } catch (err) {
    return err instanceof TemplateError ? err.message : String(err);
  }
  switch (ref.kind) {
    case 'param':
      return Object.hasOwn(plan.params, ref.name)
        ? undefined
        : `{{${text}}}: unknown parameter "${ref.name}": declare it in "params"`;
    case 'item':
    case 'index':
      if (where.inItems) return `{{${text}}}: the items of a map cannot refer to its own items`;
      return task.map ? undefined : `{{${text}}} is only known in the steps of a map: add "map" to the task`;
    case 'self':
      if ((ref.field === 'worktree' || ref.field === 'branch') && !plan.workspace)
        return `{{${text}}}: the plan has no workspace: add "workspace": {"git": {"repo": "."}}`;
      return ref.field === 'attempt' && (where.inActivityInput || where.inItems)
        ? `{{${text}}} is only known where a step runs, not in activity input`
        : undefined;
    case 'run':
      return undefined;
    case 'task': {
      const target = byId.get(ref.task);
      if (!target) return `{{${text}}}: unknown task "${ref.task}"`;
      // A task of `finally` runs after every other task, so it may read any of them.
      const before = (task.final && !target.final) || ancestorsOf(task).has(ref.task);
      if (!before)
        return `{{${text}}}: task "${ref.task}" is not a dependency of "${task.id}", so it may not have run yet: add it to dependsOn`;
      if (ref.field === 'results' && !target.map) return `{{${text}}}: task "${ref.task}" is not a map`;
      if (ref.field === 'json' && target.output !== 'json' && !target.map)
        return `{{${text}}}: task "${ref.task}" has no JSON output: set "output": "json" on it`;
      return undefined;
    }
  }
}

/** What a `when` sees, and what a map's `until` and `while` see (see runDecision.ts, map.ts), besides CEL's type names. */
const WHEN_NAMES = ['tasks', 'params'];
const MAP_NAMES = ['results', 'last', 'done', 'succeeded', 'failed', 'running', 'total', 'params'];
const TYPE_NAMES = new Set([
  'int',
  'uint',
  'double',
  'bool',
  'string',
  'bytes',
  'list',
  'map',
  'null_type',
  'type',
  'dyn',
]);
const TASK_FIELDS = ['status', 'output', 'json'];

/**
 * Why a name a condition reads would not be there when it runs, or undefined: `tasks.ID` of a task
 * that is not a direct dependency (a condition sees its task's dependencies; one of `finally` sees
 * every task), a field other than status, output and json, `.json` of a task without JSON output,
 * or an undeclared parameter.
 */
function readProblem(
  [root, second, third]: string[],
  names: string[],
  task: Task,
  plan: Plan,
  byId: Map<string, Task>,
): string | undefined {
  const shown = [root, second, third].filter((p) => p !== undefined).join('.');
  if (!names.includes(root) && !TYPE_NAMES.has(root))
    return `unknown name "${root}": a condition here reads ${names.join(', ')}`;
  if (root === 'params')
    return second === undefined || Object.hasOwn(plan.params, second)
      ? undefined
      : `${shown}: unknown parameter "${second}": declare it in "params"`;
  if (root !== 'tasks' || second === undefined) return undefined;
  const target = byId.get(second);
  if (!target) return `${shown}: unknown task "${second}"`;
  const visible = task.final || task.dependsOn.includes(second);
  if (!visible)
    return `${shown}: task "${second}" is not a dependency of "${task.id}", so its condition cannot see it: add it to dependsOn`;
  if (third === undefined) return undefined;
  if (!TASK_FIELDS.includes(third)) return `${shown}: a task has ${TASK_FIELDS.join(', ')}, not "${third}"`;
  if (third === 'json' && target.output !== 'json' && !target.map)
    return `${shown}: task "${second}" has no JSON output: set "output": "json" on it`;
  return undefined;
}

/** Transitive dependencies of a task, computed on demand and memoized. */
function ancestry(byId: Map<string, Task>): (t: Task) => Set<string> {
  const memo = new Map<string, Set<string>>();
  return (task) => {
    const cached = memo.get(task.id);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...task.dependsOn];
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.dependsOn ?? []));
    }
    memo.set(task.id, seen);
    return seen;
  };
}
