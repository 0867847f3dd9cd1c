import type { PlanRequest } from './request';

const SIZES = 'simple: 1-3 tasks; moderate: 4-8 tasks; complex: 8-20 tasks';

/** The system prompt: what a good plan looks like for ptq's scheduler. */
export function systemPrompt(request: PlanRequest): string {
  const steps = request.hints.stepTypes ?? ['shell', 'llm'];
  return [
    'You turn written requirements into a plan of tasks for a parallel task queue.',
    `Up to ${request.budget} tasks run at once; a plan may have more tasks than that, the queue balances the load.`,
    `First judge the complexity (${SIZES}) and size the plan to fit${request.hints.maxTasks ? `, never more than ${request.hints.maxTasks} tasks` : ''}.`,
    'Rules:',
    '- ids are short kebab-case and unique; "dependsOn" lists ids of tasks that must finish first; no cycles.',
    '- only add a dependency when a task really needs the other one done: independent work should run in parallel.',
    '- "estimate" is a duration like "30s", "5m", "1h"; it drives which tasks start first.',
    '- tasks that touch the same files may share a "resources" entry like "file:src/db.ts" so they never overlap.',
    `- each task has "run": one step or a list, of types: ${steps.join(', ')}.`,
    '- a shell step is {"type":"shell","command":["program","arg",...]}: an argv array, never a shell string.',
    '- an llm step is {"type":"llm","prompt":"..."}; its prompt may use {{tasks.ID.output}} of a dependency.',
    request.hints.cwd ? `- shell steps run in "${request.hints.cwd}" unless they set "cwd".` : '',
    'Answer with JSON only: {"complexity": ..., "reasoning": ..., "tasks": [...]}.',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The user's message. */
export function requirementsPrompt(request: PlanRequest): string {
  return `Requirements:\n${request.requirements}`;
}

/** Sent back with the model's own answer when it does not fit, so it can fix exactly that. */
export function repairPrompt(problems: string[]): string {
  return `That answer cannot be used:\n${problems.map((p) => `- ${p}`).join('\n')}\nReturn the whole corrected answer as JSON.`;
}
