import { z } from 'zod';
import { Concurrency, STEP_TYPES, Task } from '../core';
import { PROVIDERS } from '../llm/providers';

/** What the planner is asked: written requirements and a worker budget M. No secrets in here. */
export const PlanRequest = z
  .object({
    requirements: z.string().trim().min(1, 'the requirements are empty: describe what you want done'),
    budget: Concurrency.default(4).describe('M: how many tasks may run at once; the plan may have more tasks'),
    name: z.string().optional(),
    hints: z
      .object({
        maxTasks: z.number().int().min(1).max(500).optional(),
        stepTypes: z.array(z.enum(STEP_TYPES)).min(1).optional(),
        cwd: z.string().optional(),
      })
      .strict()
      .default({}),
    provider: z.enum(PROVIDERS).optional(),
    model: z.string().optional(),
    baseUrl: z.url().optional(),
    maxRepairs: z.number().int().min(0).max(3).default(1),
  })
  .strict();
export type PlanRequest = z.infer<typeof PlanRequest>;
export type PlanRequestInput = z.input<typeof PlanRequest>;

/** The model's answer: the same Task schema as plan files, plus its judgement of the work. */
export const PlannerAnswer = z.object({
  complexity: z.enum(['simple', 'moderate', 'complex']),
  reasoning: z.string().describe('Two to four sentences: why this breakdown and this size.'),
  tasks: z.array(Task).min(1),
});
export type PlannerAnswer = z.infer<typeof PlannerAnswer>;

/** JSON Schema of the answer, for the provider's structured output. */
export function answerJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PlannerAnswer, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
