import type { Client } from '@temporalio/client';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { parse as parseYaml } from 'yaml';
import { planWarnings, POLICIES, runGraph, simulate, validatePlan, type Plan } from '../core';
import { runLink } from '../client';
import { retryRun } from '../client/retryRun';
import { graphOfRun, taskLog, taskRowsOf } from '../client/runView';
import * as s from './schemas';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const errors = {
  400: json(s.ErrorBody, 'bad input, in one line'),
  401: json(s.ErrorBody, 'no or wrong bearer token'),
  404: json(s.ErrorBody, 'no such run or task'),
};

/**
 * The routes the dashboard reads beside the API's own: a run's plan as a graph, every task's row,
 * a task's output as `ptq logs -f` reads it, `ptq retry`, and a plan checked before it runs. They
 * are API routes like the others (same token, in the OpenAPI document), so scripts can use them too.
 */
export function addDashboardRoutes(app: OpenAPIHono, client: Client, taskQueue: string): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}/graph',
      summary: "The run's plan as a graph: tasks, dependencies, groups, critical path and lower bound",
      request: { params: s.RunId },
      responses: { 200: json(s.GraphView, 'the graph; null while the AI planner still plans'), ...errors },
    }),
    async (c) => c.json({ graph: await graphOfRun(client, c.req.valid('param').id) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}/tasks',
      summary: 'Every task of the run: status, attempts, times, why it failed or did not run (no outputs)',
      request: { params: s.RunId },
      responses: { 200: json(s.TaskRows, 'the tasks'), ...errors },
    }),
    async (c) => c.json(await taskRowsOf(client, c.req.valid('param').id), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}/tasks/{task}/logs',
      summary: "A task's output past an offset, as `ptq logs -f` reads it: a running step's live tail, else the output",
      request: { params: s.TaskRef, query: s.LogQuery },
      responses: { 200: json(s.TaskLogView, 'the output'), ...errors },
    }),
    async (c) => {
      const { id, task } = c.req.valid('param');
      return c.json(await taskLog(client, id, task, c.req.valid('query').offset), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/{id}/retry',
      summary: 'As `ptq retry`: a new run of what did not succeed, keeping the outputs of the rest',
      request: { params: s.RunId },
      responses: { 201: json(s.Started, 'the new run started'), ...errors },
    }),
    async (c) => {
      const handle = await retryRun(client, c.req.valid('param').id, { taskQueue });
      const id = handle.workflowId;
      return c.json({ id, url: (await runLink(client, id)) ?? null }, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/plans/check',
      summary: 'As `ptq validate` and `ptq simulate`: every problem, or the graph and the simulated schedule',
      request: { body: { content: { 'application/json': { schema: s.CheckBody } }, required: true } },
      responses: { 200: json(s.CheckView, 'the verdict'), ...errors },
    }),
    async (c) => c.json(checkPlan(c.req.valid('json')), 200),
  );
}

/** A plan object, or its JSON or YAML text as pasted, read. */
function planInput(plan: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (typeof plan !== 'string') return { ok: true, value: plan };
  try {
    return { ok: true, value: parseYaml(plan) };
  } catch (err) {
    return { ok: false, error: `not JSON or YAML: ${(err as Error).message.split('\n')[0]}` };
  }
}

function checkPlan(body: z.infer<typeof s.CheckBody>): z.infer<typeof s.CheckView> {
  const input = planInput(body.plan);
  if (!input.ok) return { ok: false, problems: [input.error] };
  const checked = validatePlan(input.value);
  if (!checked.ok) return { ok: false, problems: checked.error };
  const plan: Plan = checked.value;
  const m = body.maxConcurrency ?? plan.maxConcurrency;
  const graph = runGraph(plan, {}, m);
  const policies = POLICIES.flatMap((policy) => {
    try {
      const r = simulate(plan, policy, m);
      return [{ policy, makespanMs: r.makespanMs, lowerBoundMs: r.lowerBoundMs }];
    } catch {
      return [];
    }
  });
  // As `ptq simulate`: the best bound known of any simulated schedule, never below the graph's own.
  const lowerBoundMs = Math.max(graph.lowerBoundMs, ...policies.map((p) => p.lowerBoundMs));
  return { ok: true, warnings: planWarnings(plan), policy: plan.policy, graph: { ...graph, lowerBoundMs }, policies };
}
