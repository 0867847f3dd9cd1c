import type { Graph, Listing, RunView, TaskDetail, TaskLog, TaskRows } from './types';

/** Thrown when the API answers 401: the page shows the token prompt instead of any run data. */
export class Unauthorized extends Error {}

/**
 * Calls the API of the server that served the page. The token travels in the HttpOnly cookie the
 * login set, which this script cannot read; changes also carry `x-ptq-ui`, which the API asks of
 * every change made on the cookie alone.
 */
async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: method === 'POST' ? { 'content-type': 'application/json', 'x-ptq-ui': '1' } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) throw new Unauthorized('the token is missing or wrong');
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(data.error ?? `${res.status} ${res.statusText}`);
  return data as T;
}

const run = (id: string) => `/runs/${encodeURIComponent(id)}`;

export const api = {
  runs: (q: { status?: string; plan?: string }) => {
    const params = new URLSearchParams({ limit: '100' });
    if (q.status) params.set('status', q.status);
    if (q.plan) params.set('plan', q.plan);
    return call<Listing[]>('GET', `/runs?${params}`);
  },
  run: (id: string) => call<RunView>('GET', run(id)),
  graph: (id: string) => call<{ graph: Graph | null }>('GET', `${run(id)}/graph`),
  tasks: (id: string) => call<TaskRows>('GET', `${run(id)}/tasks`),
  task: (id: string, task: string) => call<TaskDetail>('GET', `${run(id)}/tasks/${encodeURIComponent(task)}`),
  logs: (id: string, task: string, offset: number) =>
    call<TaskLog>('GET', `${run(id)}/tasks/${encodeURIComponent(task)}/logs?offset=${offset}`),
  control: (id: string, what: 'cancel' | 'pause' | 'resume') =>
    call<{ done: string }>(
      'POST',
      `${run(id)}/${what}`,
      what === 'cancel' ? { reason: 'cancelled from the dashboard' } : undefined,
    ),
  concurrency: (id: string, n: number) => call<{ done: string }>('POST', `${run(id)}/concurrency`, { n }),
  retry: (id: string) => call<{ id: string }>('POST', `${run(id)}/retry`),
  check: (plan: string, maxConcurrency?: number) => call<unknown>('POST', '/plans/check', { plan, maxConcurrency }),
  /** The run's events as `ptq watch --json` streams them (the cookie authenticates EventSource too). */
  events: (id: string) => new EventSource(`${run(id)}/events`),
};
