import { z } from '@hono/zod-openapi';
import { POLICIES } from '../core';
import { LIST_STATUSES } from '../client/listRuns';

// The HTTP API's requests and answers. These schemas validate every request and are the OpenAPI
// document (`GET /openapi.json`), so the two cannot drift apart. A plan is checked by the same
// validator as `ptq validate`, which explains every problem at once.

export const ErrorBody = z
  .object({ error: z.string().openapi({ example: 'no run with id "nightly-1": see `ptq list`' }) })
  .openapi('Error');

export const RunId = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'nightly-1' }),
});

export const TaskRef = RunId.extend({
  task: z
    .string()
    .min(1)
    .openapi({ param: { name: 'task', in: 'path' }, example: 'build' }),
});

export const StartBody = z
  .object({
    plan: z
      .unknown()
      .optional()
      .openapi({ description: 'a ptq plan, as in a plan file (`ptq schema` prints its JSON Schema)' }),
    requirements: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: 'written requirements for the AI planner, instead of a plan' }),
    name: z.string().optional().openapi({ description: 'with requirements: the plan name' }),
    approve: z.boolean().optional().openapi({ description: 'with requirements: wait for approval before running' }),
    id: z.string().min(1).optional().openapi({ description: 'run id (default: plan name + time)' }),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    maxConcurrency: z.number().int().min(1).max(10_000).optional(),
    policy: z.enum(POLICIES).optional(),
    taskQueue: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "the workers' task queue (default: the server's --task-queue)" }),
  })
  .openapi('StartRun');

/** A run's page in the Temporal Web UI; null when the server has none (`ptq dev --headless`). */
const Url = z.string().nullable().openapi({ description: "the run's page in the Temporal Web UI; null without one" });

export const Started = z.object({ id: z.string(), url: Url }).openapi('RunStarted');

export const ListQuery = z.object({
  status: z.enum(LIST_STATUSES).optional(),
  plan: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(20),
});

export const Listing = z
  .array(
    z.object({
      id: z.string(),
      status: z.string(),
      plan: z.string().nullable(),
      done: z.number().nullable(),
      total: z.number().nullable(),
      startedAt: z.string(),
      closedAt: z.string().nullable(),
      durationMs: z.number(),
      costUsd: z.number().nullable(),
      retryOf: z.string().nullable().openapi({ description: 'the run this one retried (`ptq retry`)' }),
    }),
  )
  .openapi('RunList');

export const RunView = z
  .object({
    id: z.string(),
    url: Url,
    status: z.string(),
    progress: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'a running run: as `ptq status --json`' }),
    summary: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'an ended run: as `ptq result --json`' }),
    server: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'a running run no worker answered for: what the server alone knows' }),
  })
  .openapi('Run');

/** How a map's items went; the counts add up to `total`. */
export const MapItems = z
  .object({
    total: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int().openapi({ description: 'stopped by a cancel while running' }),
    notStarted: z.number().int().openapi({ description: 'never started: the map stopped early' }),
  })
  .openapi('MapItems');

export const TaskView = z
  .looseObject({
    id: z.string(),
    status: z.string(),
    items: MapItems.optional().openapi({ description: 'a map that ended: how its items went' }),
    stop: z.string().optional().openapi({
      description: 'a map that stopped early: why',
      example: 'until condition met when 150 of 2000 items had ended and 21 were running',
    }),
  })
  .openapi('Task', { description: 'as `ptq status RUN/TASK --json`' });

export const CancelBody = z.object({ reason: z.string().max(1_000).optional() }).openapi('Cancel');

export const TerminateBody = z.object({ reason: z.string().max(1_000).optional() }).openapi('Terminate');

export const ConcurrencyBody = z.object({ n: z.number().int().min(1).max(10_000) }).openapi('Concurrency');

export const Controlled = z
  .object({
    id: z.string(),
    done: z.string().openapi({ example: 'cancel requested' }),
    maxConcurrency: z.number().optional(),
  })
  .openapi('Controlled');

/** A task of a run's graph: what the dashboard lays out. */
const GraphTask = z.object({
  id: z.string(),
  title: z.string().optional(),
  dependsOn: z.array(z.string()),
  group: z.string().optional(),
  phase: z.enum(['before', 'after']).optional(),
  final: z.literal(true).optional(),
  child: z.boolean().openapi({ description: 'runs as its own workflow (else inline in the run)' }),
  map: z.object({ size: z.number().nullable(), maxParallel: z.union([z.number(), z.literal('auto')]) }).optional(),
  estimateMs: z.number(),
  level: z.number().int(),
});

const Graph = z
  .object({
    plan: z.string(),
    maxConcurrency: z.number().int(),
    tasks: z.array(GraphTask),
    criticalPath: z.array(z.string()),
    criticalPathMs: z.number(),
    workMs: z.number(),
    lowerBoundMs: z
      .number()
      .openapi({ description: 'max(critical path, work / M), with measured durations where known' }),
  })
  .openapi('Graph');

export const GraphView = z.object({ graph: Graph.nullable() }).openapi('RunGraph');

export const TaskRows = z
  .object({
    running: z.boolean(),
    tasks: z.array(
      z.object({
        id: z.string(),
        status: z.string(),
        attempts: z.number().int(),
        startedAt: z.string().nullable(),
        endedAt: z.string().nullable(),
        worker: z.string().nullable(),
        why: z.string().nullable().openapi({ description: 'first line of the error, or why it did not run' }),
        items: MapItems.optional(),
        stop: z.string().optional(),
        costUsd: z.number().nullable().optional(),
      }),
    ),
  })
  .openapi('TaskRows', { description: 'empty while no worker answers for a running run' });

export const LogQuery = z.object({ offset: z.coerce.number().int().min(0).default(0) });

export const TaskLogView = z
  .object({
    status: z.string(),
    live: z.boolean().openapi({ description: 'the task runs: ask again from `offset`' }),
    text: z.string(),
    offset: z.number().int(),
  })
  .openapi('TaskLog');

export const CheckBody = z
  .object({
    plan: z.unknown().openapi({ description: 'a plan, or its JSON or YAML text' }),
    maxConcurrency: z.number().int().min(1).max(10_000).optional(),
  })
  .openapi('CheckPlan');

export const CheckView = z
  .union([
    z.object({ ok: z.literal(false), problems: z.array(z.string()) }),
    z.object({
      ok: z.literal(true),
      warnings: z.array(z.string()),
      policy: z.string(),
      graph: Graph,
      policies: z.array(z.object({ policy: z.string(), makespanMs: z.number(), lowerBoundMs: z.number() })),
    }),
  ])
  .openapi('PlanCheck');
