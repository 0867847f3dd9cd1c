import { templateProblems } from './checkTemplates';
import { filesProblem } from './files';
import { formatIssue } from './issues';
import { MAX_RUNNING_TASKS } from './limits';
import { BATCH_STEP_TYPES, mapParallelCap } from '../schedule/map';
import { isGitUrl, Plan, retryProblem } from './plan';
import { stepsOf } from './steps';

/** A result as data: callers switch on `ok` instead of catching. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/**
 * Checks a plan completely and reports every problem, one line each, so a person can fix them all
 * in one pass. Schema problems come first; graph checks run only on a well-formed plan.
 */
export function validatePlan(input: unknown): Result<Plan, string[]> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, error: ['a plan must be an object with a "tasks" list, e.g. {"tasks": [...]}'] };
  const parsed = Plan.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => formatIssue(i, input)) };
  const problems = graphProblems(parsed.data);
  return problems.length ? { ok: false, error: problems } : { ok: true, value: parsed.data };
}

/**
 * What is allowed but likely not meant, one line each: a map's `maxParallel` or a group's
 * `maxConcurrency` above the plan's M, which caps them without a word (M defaults to 4), and an M
 * above the tasks a run can hold at once.
 */
export function planWarnings(plan: Plan): string[] {
  const m = plan.maxConcurrency;
  const fix = (n: number) => `raise "maxConcurrency" to ${n} (or start with --max-concurrency ${n})`;
  const warnings: string[] = [];
  for (const task of plan.tasks) {
    const n = task.map ? mapParallelCap(task.map) : undefined;
    if (n !== undefined && n > m)
      warnings.push(
        `task "${task.id}": map.maxParallel ${task.map?.maxParallel === 'auto' ? `auto (up to ${n})` : n} is more than the plan's maxConcurrency ${m}, so at most ${m} items run at once: ${fix(n)}`,
      );
  }
  if (m > MAX_RUNNING_TASKS && plan.tasks.filter((t) => !t.map).length > MAX_RUNNING_TASKS)
    warnings.push(
      `maxConcurrency ${m} runs at most ${MAX_RUNNING_TASKS} tasks at once: each is a child workflow of the run and Temporal allows ${MAX_RUNNING_TASKS} per workflow; an M above that is for maps' items, which run in shards`,
    );
  for (const [name, group] of Object.entries(plan.groups)) {
    const n = group.maxConcurrency;
    if (n !== undefined && n > m)
      warnings.push(
        `group "${name}": maxConcurrency ${n} is more than the plan's maxConcurrency ${m}, so at most ${m} of its tasks run at once: ${fix(n)}`,
      );
  }
  return warnings;
}

function graphProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  const finals = new Set(plan.tasks.filter((t) => t.final).map((t) => t.id));
  for (const task of plan.tasks) {
    if (known.has(task.id)) problems.push(`duplicate task id "${task.id}": every task needs its own id`);
    known.add(task.id);
  }
  for (const task of plan.tasks) {
    for (const dep of task.dependsOn) {
      if (dep === task.id) problems.push(`task "${task.id}" depends on itself: remove "${dep}" from its dependsOn`);
      else if (!known.has(dep)) problems.push(`task "${task.id}" depends on unknown task "${dep}"`);
    }
    if (task.group !== undefined && !Object.hasOwn(plan.groups, task.group)) {
      problems.push(
        `task "${task.id}" uses group "${task.group}", which "groups" does not declare: add "groups": {"${task.group}": {"maxConcurrency": 1}}`,
      );
    }
    const retry = retryProblem({ ...plan.defaults.retry, ...task.retry });
    if (retry && task.retry && plan.defaults.retry) problems.push(`task "${task.id}": ${retry}`);
    for (const dep of task.dependsOn) {
      if (!task.final && finals.has(dep))
        problems.push(`task "${task.id}" depends on "${dep}" of "finally": those run after all other tasks`);
    }
    if (task.map && task.map.batch > 1) {
      // An llm step with tools is a loop of activities in the workflow: it cannot run inside a batch's one.
      const step = stepsOf(task).find((s) => !BATCH_STEP_TYPES.includes(s.type) || (s.type === 'llm' && s.tools));
      if (step)
        problems.push(
          `task "${task.id}": map.batch: a batch runs ${BATCH_STEP_TYPES.join(', ')} steps, not ${step.type}${step.type === 'llm' ? ' with tools' : ''}: use batch 1`,
        );
    }
    problems.push(...rateLimitProblems(task));
    const resources = task.resources ?? [];
    const dup = resources.find((r, i) => resources.indexOf(r) !== i);
    if (dup) problems.push(`task "${task.id}" lists resource "${dup}" twice, so it would wait on itself forever`);
  }
  for (const [name, group] of Object.entries(plan.groups)) {
    if (group.maxConcurrency !== undefined && group.maxConcurrency < 1) {
      problems.push(
        `group "${name}" has maxConcurrency ${group.maxConcurrency}, so its tasks could never start: use 1 or more`,
      );
    }
  }
  const ws = plan.workspace;
  if (ws && isGitUrl(ws.git.repo)) {
    // Every step checks its task's branch out from the remote: there is no shared checkout.
    if (ws.isolation !== 'worktree')
      problems.push(
        `workspace: isolation "${ws.isolation}" needs a repo path; with a git URL each task works on its own branch`,
      );
    if (ws.include.length)
      problems.push(`workspace.include: a git URL has no checkout to copy ${ws.include[0]} from: use a repo path`);
  }
  if (problems.length === 0) problems.push(...templateProblems(plan));
  const files = filesProblem(plan);
  if (files) problems.push(files);
  const cycle = findCycle(plan);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(' -> ')} (each task depends on the next): break one edge`);
  return problems;
}

/** A rate limit counts step starts: a key needs a limit, and a batch runs many items in one step. */
function rateLimitProblems(task: Plan['tasks'][number]): string[] {
  if (task.rateLimit === undefined)
    return task.rateKey === undefined ? [] : [`task "${task.id}": rateKey needs a rateLimit to count under`];
  if (task.map && task.map.batch > 1)
    return [`task "${task.id}": rateLimit counts each step, and map.batch runs many items in one: use batch 1`];
  return [];
}

/** Limits the plan's tasks use that its "limits" does not declare: they must exist on the server. */
export function undeclaredLimits(plan: Plan): string[] {
  const used = plan.tasks.flatMap((t) => (t.rateLimit === undefined ? [] : [t.rateLimit]));
  return [...new Set(used)].filter((name) => !Object.hasOwn(plan.limits, name));
}

/** Iterative DFS (no recursion limit on long chains); returns a cycle along dependsOn, closed on itself. */
export function findCycle(plan: Plan): string[] | undefined {
  const deps = new Map(plan.tasks.map((t) => [t.id, t.dependsOn] as const));
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of deps.keys()) {
    if (state.has(root)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 'visiting');
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const children = deps.get(frame.id) ?? [];
      if (frame.next >= children.length) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      const child = children[frame.next++];
      if (!deps.has(child)) continue;
      const seen = state.get(child);
      if (seen === 'visiting') {
        const path = stack.slice(stack.findIndex((f) => f.id === child)).map((f) => f.id);
        return [...path, child];
      }
      if (seen === undefined) {
        state.set(child, 'visiting');
        stack.push({ id: child, next: 0 });
      }
    }
  }
  return undefined;
}
