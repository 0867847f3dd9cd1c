import { parseDuration, validatePlan, type Plan, type PlanInput, type Step } from '../core';
import { openGroups } from './answer';
import { noUsage } from '../llm/prices';
import { ModelCallError } from '../llm/providers';
import type { PlanRequest } from './request';

type TaskInput = PlanInput['tasks'][number];

const ITEM = /^\s*(?:([-*+•])|(\d+)[.)])\s+(.+?)\s*$/;
const GROUP = /\[P:([\w-]+)\]/i;
const AFTER = /\(?\b(?:after|depends on|requires)\s+([^.;()[\]]+)\)?/i;
const COMMAND = /`([^`]+)`/;
const ESTIMATE = /\(?~\s*(\d+(?:\.\d+)?(?:ms|s|m|h))\)?/;

/**
 * A deterministic planner that needs no network. It is a heuristic, labeled as such in the plan:
 * list items become tasks; numbered items run in order, bullets are independent; "after X" or
 * "depends on X" (by number, id or words of the title) adds dependencies; items marked
 * `[P:Group-X]` run together, after what came before the group; `backticked commands` become
 * shell steps, the rest llm steps with the item as the prompt; "~5m" sets the estimate.
 */
export function planOffline(request: PlanRequest): Plan {
  const items = request.requirements.split('\n').flatMap((line) => {
    const m = ITEM.exec(line);
    return m ? [{ numbered: m[2] !== undefined, text: m[3] }] : [];
  });
  if (items.length === 0) items.push({ numbered: false, text: request.requirements.trim().split('\n')[0] });
  const limited = items.slice(0, request.hints.maxTasks ?? items.length);

  const tasks: TaskInput[] = [];
  const titles: string[] = [];
  let previous: string[] = [];
  let group: { name: string; base: string[]; members: string[] } | undefined;
  for (const item of limited) {
    const groupName = GROUP.exec(item.text)?.[1];
    const after = AFTER.exec(item.text)?.[1];
    const title = clean(item.text);
    const id = uniqueId(title, tasks.length + 1, tasks);
    if (group && group.name !== groupName) {
      previous = group.members;
      group = undefined;
    }
    let dependsOn: string[];
    if (after) dependsOn = resolve(after, tasks, titles);
    else if (groupName) {
      group ??= { name: groupName, base: previous, members: [] };
      dependsOn = group.base;
      group.members.push(id);
    } else dependsOn = item.numbered ? previous : [];
    if (!groupName) previous = [id];
    const estimate = ESTIMATE.exec(item.text)?.[1];
    tasks.push({ id, title, dependsOn, group: groupName, estimate, run: step(item.text, title, request, estimate) });
    titles.push(title.toLowerCase());
  }
  const checked = validatePlan({
    name: request.name ?? 'planned',
    maxConcurrency: request.budget,
    groups: openGroups(tasks, request.budget),
    tasks,
    metadata: {
      planner: 'offline (heuristic)',
      complexity: tasks.length <= 3 ? 'simple' : tasks.length <= 8 ? 'moderate' : 'complex',
      reasoning: `Heuristic: ${tasks.length} tasks from the list items; numbered items in order, bullets independent, [P:...] groups in parallel, "after X" as dependencies.`,
      usage: noUsage(),
    },
  });
  if (!checked.ok)
    throw new ModelCallError(`the offline planner could not build a valid plan: ${checked.error.join('; ')}`, false);
  return checked.value;
}

function step(text: string, title: string, request: PlanRequest, estimate?: string): Step {
  const allowed = request.hints.stepTypes ?? ['shell', 'llm'];
  const command = COMMAND.exec(text)?.[1];
  if (command && allowed.includes('shell')) {
    return {
      type: 'shell',
      command: command.trim().split(/\s+/),
      ...(request.hints.cwd ? { cwd: request.hints.cwd } : {}),
    };
  }
  if (allowed.includes('llm')) return { type: 'llm', prompt: title };
  return { type: 'sleep', duration: parseDuration(estimate ?? '1s') ?? 1_000 };
}

/** References are item numbers ("2", "#2", "step 2"), ids, or words from an earlier title. */
function resolve(refs: string, tasks: TaskInput[], titles: string[]): string[] {
  const ids: string[] = [];
  for (const raw of refs.split(/,|\band\b|&/)) {
    const ref = raw
      .trim()
      .toLowerCase()
      .replace(/^(?:step|task|item)\s+/, '')
      .replace(/^#/, '');
    if (!ref) continue;
    const byNumber = /^\d+$/.test(ref) ? tasks[Number(ref) - 1] : undefined;
    const byId = tasks.find((t) => t.id === ref);
    const words = ref.split(/\s+/);
    const byTitle = tasks[titles.findIndex((t) => words.every((w) => t.split(' ').includes(w)) || ref.includes(t))];
    const found = byNumber ?? byId ?? byTitle;
    if (found && !ids.includes(found.id)) ids.push(found.id);
  }
  return ids;
}

function clean(text: string): string {
  return text
    .replace(GROUP, '')
    .replace(AFTER, '')
    .replace(ESTIMATE, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[,;:]$/, '');
}

function uniqueId(title: string, n: number, tasks: TaskInput[]): string {
  const words =
    title
      .toLowerCase()
      .replace(/`[^`]*`/g, '')
      .match(/[a-z0-9]+/g) ?? [];
  const base = words.slice(0, 4).join('-') || `task-${n}`;
  let id = base;
  for (let k = 2; tasks.some((t) => t.id === id); k++) id = `${base}-${k}`;
  return id;
}
