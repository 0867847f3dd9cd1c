import type { Client } from '@temporalio/client';
import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { streamSSE } from 'hono/streaming';
import type { MiddlewareHandler } from 'hono';
import type { ZodError } from 'zod';
import { resolveParams, validatePlan } from '../core';
import { runLink, startPlanned, startRun, type StartOptions } from '../client';
import {
  cancelRun,
  describedRun,
  endedFromOutside,
  findTask,
  pauseRun,
  progressOrServerView,
  resumeRun,
  setConcurrency,
  terminateRun,
} from '../client/control';
import { NotFoundError, PlanError, PtqError, UnreachableError } from '../errors';
import { listRuns } from '../client/listRuns';
import { EventFeed } from '../client/runEvents';
import { summaryOf } from '../client/summaryOf';
import { sameToken } from './tokens';
import { addDashboardRoutes } from './dashboardRoutes';
import { addUiPages, cookieToken } from './ui/pages';
import * as s from './schemas';

/** What the API serves and how it is guarded. */
export interface ApiOptions {
  /** The bearer token every request must carry. */
  token: string;
  /** Where runs started without a `taskQueue` go. */
  taskQueue: string;
  /** Most bytes a request body may have; larger ones get 413 before they are read whole. */
  maxBodyBytes: number;
}

const EVENT_POLL_MS = 500;
/** The events route as Hono registers it: the one route that takes `?access_token=`. */
const EVENTS_ROUTE = '/runs/:id/events';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});
const errors = {
  400: json(s.ErrorBody, 'bad input, in one line'),
  401: json(s.ErrorBody, 'no or wrong bearer token'),
  404: json(s.ErrorBody, 'no such run or task'),
};

/**
 * The HTTP API over the same client library as the CLI: start, list, inspect and control runs, and
 * follow their events as Server-Sent Events. Every request needs the bearer token; `EventSource`
 * cannot send headers, so the events route also takes it as `?access_token=` (RFC 6750 §2.3).
 * Whoever holds the token starts runs, so runs commands on the workers as the workers' user.
 * The dashboard (`/ui/`) is served on the same port; its pages carry the token in a cookie.
 */
export function createApi(client: Client, options: ApiOptions): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => (result.success ? undefined : c.json({ error: oneLine(result.error) }, 400)),
  });
  app.use('*', bearer(options.token));
  app.use(
    '*',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      // The rest of the body is never read, so the connection cannot carry another request.
      onError: (c) =>
        c.json(
          { error: `request body over ${sizeOf(options.maxBodyBytes)}, this server's limit (ptq serve --max-body-kb)` },
          413,
          { connection: 'close' },
        ),
    }),
  );
  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
    if (err instanceof NotFoundError) return c.json({ error: err.line() }, 404);
    if (err instanceof UnreachableError) return c.json({ error: err.line() }, 503);
    if (err instanceof PtqError) return c.json({ error: err.line() }, 400);
    return c.json({ error: (err instanceof Error ? err.message : String(err)).split('\n')[0] }, 500);
  });
  const url = async (id: string) => (await runLink(client, id)) ?? null;
  addUiPages(app, options.token);
  addDashboardRoutes(app, client, options.taskQueue);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs',
      summary: 'Start a run of a plan, or of requirements the AI planner turns into one',
      request: body(s.StartBody),
      responses: { 201: json(s.Started, 'the run started'), ...errors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const start: StartOptions = {
        id: b.id,
        policy: b.policy,
        maxConcurrency: b.maxConcurrency,
        taskQueue: b.taskQueue ?? options.taskQueue,
      };
      if ((b.plan === undefined) === (b.requirements === undefined))
        throw new PtqError('give exactly one of "plan" or "requirements"');
      let id: string;
      if (b.plan !== undefined) {
        const plan = validatePlan(b.plan);
        if (!plan.ok) throw new PlanError('plan', plan.error);
        const given = Object.fromEntries(Object.entries(b.params ?? {}).map(([k, v]) => [k, String(v)]));
        const params = resolveParams(plan.value, given);
        if (!params.ok) throw new PtqError(params.error.join('; '));
        id = (await startRun(client, plan.value, { ...start, params: params.value })).workflowId;
      } else {
        const requirements = { requirements: b.requirements as string, name: b.name };
        id = (await startPlanned(client, requirements, { ...start, approve: b.approve })).workflowId;
      }
      return c.json({ id, url: await url(id) }, 201);
    },
  );

  const read = <R extends object, T extends z.ZodType>(
    path: string,
    summary: string,
    request: R,
    answer: T,
    what: string,
  ) => createRoute({ method: 'get', path, summary, request, responses: { 200: json(answer, what), ...errors } });

  app.openapi(
    read('/runs', 'Recent runs, as `ptq list --json`', { query: s.ListQuery }, s.Listing, 'newest first'),
    async (c) => c.json(await listRuns(client, c.req.valid('query')), 200),
  );

  app.openapi(
    read(
      '/runs/{id}',
      "A run: a running one's progress, an ended one's summary",
      { params: s.RunId },
      s.RunView,
      'the run',
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const { handle, description } = await describedRun(client, id);
      if (description.status.name !== 'RUNNING' && !endedFromOutside(description)) {
        const summary = await summaryOf(handle);
        return c.json({ id, url: await url(id), status: summary.status, summary: { ...summary } }, 200);
      }
      const known = await progressOrServerView(client, handle, description);
      if ('server' in known)
        return c.json({ id, url: await url(id), status: known.server.status, server: { ...known.server } }, 200);
      const live = known.progress;
      return c.json({ id, url: await url(id), status: live.status, progress: { ...live } }, 200);
    },
  );

  app.openapi(
    read(
      '/runs/{id}/tasks/{task}',
      'One task: status, attempts, output, error',
      { params: s.TaskRef },
      s.TaskView,
      'the task',
    ),
    async (c) => {
      const { id, task } = c.req.valid('param');
      const found = await findTask(client, `${id}/${task}`);
      if (!found) throw new NotFoundError(`no run with id "${id}"`, undefined, 'see `ptq list`');
      return c.json({ ...found }, 200);
    },
  );

  const control = <R extends object>(path: string, summary: string, request: R = {} as R) =>
    createRoute({
      method: 'post',
      path: `/runs/{id}/${path}`,
      summary,
      request: { params: s.RunId, ...request },
      responses: { 200: json(s.Controlled, 'done'), ...errors },
    });

  app.openapi(control('cancel', 'Cancel a run: running tasks are killed', body(s.CancelBody)), async (c) => {
    const { id } = c.req.valid('param');
    const ended = await cancelRun(client, id, c.req.valid('json').reason ?? 'cancelled through the API');
    return c.json({ id, done: ended ? `already ended (${ended})` : 'cancel requested' }, 200);
  });
  app.openapi(
    control(
      'terminate',
      'End a run at once on the server, without a worker, as `temporal workflow terminate`: no finally tasks, no summary',
      body(s.TerminateBody),
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const ended = await terminateRun(client, id, c.req.valid('json').reason ?? 'terminated through the API');
      return c.json({ id, done: ended ? `already ended (${ended})` : 'terminated' }, 200);
    },
  );
  app.openapi(control('pause', 'Start no new tasks; running ones go on'), async (c) => {
    const { id } = c.req.valid('param');
    await pauseRun(client, id);
    return c.json({ id, done: 'paused' }, 200);
  });
  app.openapi(control('resume', 'Start new tasks again'), async (c) => {
    const { id } = c.req.valid('param');
    await resumeRun(client, id);
    return c.json({ id, done: 'resumed' }, 200);
  });
  app.openapi(control('concurrency', 'Change how many tasks may run at once', body(s.ConcurrencyBody)), async (c) => {
    const { id } = c.req.valid('param');
    const n = await setConcurrency(client, id, c.req.valid('json').n);
    return c.json({ id, done: `M is now ${n}`, maxConcurrency: n }, 200);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: EVENTS_ROUTE.replace(':id', '{id}'),
      summary: 'The run\'s events as Server-Sent Events, the same as `ptq watch --json`; an "end" event closes it',
      request: { params: s.RunId },
      responses: {
        200: { content: { 'text/event-stream': { schema: { type: 'string' } } }, description: 'events' },
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { handle } = await describedRun(client, id);
      return streamSSE(c, async (stream) => {
        let open = true;
        stream.onAbort(() => void (open = false));
        const feed = new EventFeed(client, id, handle);
        while (open) {
          const running = (await handle.describe()).status.name === 'RUNNING';
          for (const e of (await feed.next()) ?? []) await stream.writeSSE({ data: JSON.stringify(e) });
          if (!running) break;
          await stream.sleep(EVENT_POLL_MS);
        }
        const summary = await summaryOf(handle).catch(() => undefined);
        if (open)
          await stream.writeSSE({ event: 'end', data: JSON.stringify({ id, status: summary?.status ?? null }) });
      });
    },
  );

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'ptq',
      version: '1',
      description: 'Start, follow and control ptq runs. Every request needs `Authorization: Bearer TOKEN`.',
    },
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return app;
}

/**
 * 401 unless the request carries the token: in the header, as `access_token` on the events route
 * itself (decided by the route the request matched, so a run named "events" does not count), or in
 * the dashboard's cookie. A request that changes something on the cookie alone must also say it
 * comes from the dashboard's script (`x-ptq-ui`), which no form of another site can send. The
 * dashboard's own pages (/ui) check the token themselves.
 */
function bearer(token: string): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.path === '/ui' || c.req.path.startsWith('/ui/')) return next();
    const header = c.req.header('authorization') ?? '';
    const fromQuery = routePath(c, -1) === EVENTS_ROUTE ? c.req.query('access_token') : undefined;
    const fromHeader = /^Bearer (.+)$/i.exec(header)?.[1] ?? fromQuery;
    const fromCookie = fromHeader === undefined ? cookieToken(c) : undefined;
    const given = fromHeader ?? fromCookie;
    if (given === undefined || !sameToken(given, token)) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'missing or wrong bearer token: send "Authorization: Bearer TOKEN"' }, 401);
    }
    if (fromCookie !== undefined && c.req.method !== 'GET' && c.req.header('x-ptq-ui') === undefined)
      return c.json({ error: 'a change through the dashboard cookie needs the x-ptq-ui header' }, 403);
    await next();
  };
}

/** "1 MB", "512 KB": a body limit as people set it. */
function sizeOf(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes >> 20} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

/** A request that does not fit its schema, as one line: "n: Too small: expected number to be >=1". */
function oneLine(error: ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
