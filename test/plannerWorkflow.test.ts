import { summaryOf } from '../src/client';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { startPlanned, startRun } from '../src/client';
import { cancelRun, decide, getPlan, getProgress } from '../src/client/control';
import { plan, runId, withWorker } from './helpers';
import { waitFor } from './support/processes';
import { ptq } from './support/cli';
import { FakeLlm } from './support/fakeLlm';

const SECRET = 'sk-test-SECRET-do-not-leak-456';
const answer = (tasks: unknown[]) => JSON.stringify({ complexity: 'simple', reasoning: 'Two steps in order.', tasks });
const good = answer([
  { id: 'hello', title: 'Say hello', estimate: '1s', run: { type: 'shell', command: ['echo', 'hello'] } },
  { id: 'bye', title: 'Say bye', dependsOn: ['hello'], run: { type: 'shell', command: ['echo', 'bye'] } },
]);

/** The run's whole history as text, with every payload decoded, to search for what it must not hold. */
async function historyText(client: Client, id: string): Promise<string> {
  const raw = JSON.stringify(await client.workflow.getHandle(id).fetchHistory());
  const decoded = [...raw.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) =>
    Buffer.from(m[1], 'base64').toString('utf8'),
  );
  expect(decoded.length).toBeGreaterThan(5);
  return `${raw}\n${decoded.join('\n')}`;
}

async function failureOf(
  promise: Promise<unknown>,
): Promise<{ type?: string; message?: string; nonRetryable?: boolean }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as { type?: string; message?: string; nonRetryable?: boolean };
}

describe('planning inside a durable run', () => {
  const fake = new FakeLlm();
  let baseUrl: string;
  beforeAll(async () => {
    baseUrl = await fake.start();
    process.env.OPENAI_API_KEY = SECRET; // the worker's environment: the only place keys live
    process.env.PTQ_ALLOWED_BASE_URLS = baseUrl; // the worker lets runs pick this endpoint
  });
  afterAll(async () => {
    delete process.env.OPENAI_API_KEY;
    delete process.env.PTQ_ALLOWED_BASE_URLS;
    await fake.close();
  });
  const requirements = (extra: object = {}) => ({
    requirements: 'Greet, then leave',
    budget: 2,
    provider: 'openai' as const,
    model: 'gpt-4o-mini',
    baseUrl,
    name: 'greet',
    ...extra,
  });

  it('plans, shows the plan, runs it, reports complexity and cost, and never records the key', async () => {
    fake.reply({ text: good });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startPlanned(client, requirements(), { id: runId('planned'), taskQueue });
      const summary = await summaryOf(handle);
      expect(summary).toMatchObject({ status: 'succeeded', plan: 'greet', counts: { total: 2, succeeded: 2 } });
      expect(summary.planner).toMatchObject({
        planner: 'openai',
        complexity: 'simple',
        reasoning: 'Two steps in order.',
      });
      expect(summary.cost.planning).toMatchObject({ calls: 1, inputTokens: 1000, outputTokens: 500 });
      expect(summary.cost.totalUsd).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1e6, 9);
      expect((await getPlan(client, handle.workflowId))?.tasks.map((t) => t.id)).toEqual(['hello', 'bye']);
      expect(fake.requests[0].headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(await historyText(client, handle.workflowId)).not.toContain(SECRET);
      expect(await historyText(client, handle.workflowId)).toContain('Say hello');
    });
  });

  it('refuses a base URL the worker does not allow, so its key is never sent there', async () => {
    const other = new FakeLlm();
    const otherUrl = await other.start();
    try {
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await startPlanned(client, requirements({ baseUrl: otherUrl }), { id: runId('url'), taskQueue });
        const cause = await failureOf(summaryOf(handle));
        expect(cause).toMatchObject({ type: 'PlannerError', nonRetryable: true });
        expect(cause.message).toContain(`base URL ${otherUrl} is not allowed on this worker`);
        expect(other.requests).toHaveLength(0);
      });
    } finally {
      await other.close();
    }
  });

  it('retries a 429 through Temporal and then succeeds', async () => {
    fake.reply({ status: 429, error: { message: 'Rate limit reached', type: 'rate_limit_error' } }, { text: good });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startPlanned(client, requirements(), { id: runId('ratelimit'), taskQueue });
      expect((await summaryOf(handle)).status).toBe('succeeded');
      expect(fake.requests).toHaveLength(2);
      const history = await client.workflow.getHandle(handle.workflowId).fetchHistory();
      const started = history.events?.find(
        (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt === 2,
      );
      expect(started).toBeDefined();
    });
  });

  it('fails at once on a 401 with a message that names the variable to set', async () => {
    fake.reply({
      status: 401,
      error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startPlanned(client, requirements(), { id: runId('badkey'), taskQueue });
      const cause = await failureOf(summaryOf(handle));
      expect(cause).toMatchObject({ type: 'PlannerError', nonRetryable: true });
      expect(cause.message).toBe(
        "the provider rejected the API key (HTTP 401): set a valid OPENAI_API_KEY in the worker's environment",
      );
      expect(fake.requests).toHaveLength(1);
      expect(await historyText(client, handle.workflowId)).not.toContain(SECRET);
    });
  });

  it('gives up with a clear non-retryable failure after garbage twice', async () => {
    fake.reply({ text: 'Sure! Here is your plan: step one, do things.' });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startPlanned(client, requirements(), { id: runId('garbage'), taskQueue });
      const cause = await failureOf(summaryOf(handle));
      expect(cause).toMatchObject({ type: 'PlannerError', nonRetryable: true });
      expect(cause.message).toMatch(/^the model's plan did not fit the schema after 2 tries: the answer is not JSON/);
      expect(fake.requests).toHaveLength(2);
    });
  });

  it('waits for approval when asked, then runs; a rejection runs nothing', async () => {
    fake.reply({ text: good });
    await withWorker(async ({ client, taskQueue }) => {
      const approved = await startPlanned(client, requirements(), { id: runId('approve'), taskQueue, approve: true });
      let progress = await getProgress(client, approved.workflowId);
      for (let i = 0; i < 100 && progress.reason !== 'waiting for approval'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        progress = await getProgress(client, approved.workflowId);
      }
      expect(progress).toMatchObject({
        reason: 'waiting for approval',
        counts: { succeeded: 0, running: 0 },
        total: 2,
      });
      const status = await ptq(['status', approved.workflowId]);
      expect(status.stdout).toContain(
        `waiting for approval: \`ptq plan ${approved.workflowId}\` shows the plan; \`ptq approve ${approved.workflowId}\` runs it`,
      );
      const shown = await ptq(['plan', approved.workflowId]);
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.stdout).tasks).toHaveLength(2);
      expect((await ptq(['approve', approved.workflowId])).code).toBe(0);
      expect((await summaryOf(approved)).status).toBe('succeeded');
      const again = await ptq(['approve', approved.workflowId]);
      expect(again.code).toBe(2);

      const rejected = await startPlanned(client, requirements(), { id: runId('reject'), taskQueue, approve: true });
      for (
        let i = 0;
        i < 100 && (await getProgress(client, rejected.workflowId)).reason !== 'waiting for approval';
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await decide(client, rejected.workflowId, false, 'too risky');
      expect(await summaryOf(rejected)).toMatchObject({
        status: 'cancelled',
        reason: 'plan rejected: too risky',
        counts: { cancelled: 2 },
      });
    });
  });

  it('`ptq cancel` stops a run that is still planning: the model call is aborted, nothing runs', async () => {
    fake.reply({ text: good, delayMs: 60_000 });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startPlanned(client, requirements(), { id: runId('cancelplanning'), taskQueue });
      for (let i = 0; i < 100 && fake.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await ptq(['cancel', handle.workflowId])).code).toBe(0);
      expect(await summaryOf(handle)).toMatchObject({ status: 'cancelled', counts: { total: 0 } });
      await waitFor(() => fake.requests[0].aborted, 5_000); // the cancel reaches it on its next heartbeat
    });
  });

  it('`ptq set-concurrency` and `ptq cancel` work while a run waits for approval', async () => {
    fake.reply({ text: good });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startPlanned(client, requirements(), { id: runId('gate'), taskQueue, approve: true });
      for (let i = 0; i < 100 && (await getProgress(client, handle.workflowId)).reason !== 'waiting for approval'; i++)
        await new Promise((r) => setTimeout(r, 50));
      const set = await ptq(['set-concurrency', handle.workflowId, '7']);
      expect(set.stderr).toBe('');
      expect(set.code).toBe(0);
      expect((await getProgress(client, handle.workflowId)).maxConcurrency).toBe(7);
      expect((await ptq(['cancel', handle.workflowId])).code).toBe(0);
      expect(await summaryOf(handle)).toMatchObject({
        status: 'cancelled',
        maxConcurrency: 7,
        reason: 'cancelled from the CLI',
        counts: { cancelled: 2, succeeded: 0 },
      });
    });
  });

  it('runs llm steps with dependency outputs in the prompt, and counts their cost', async () => {
    fake.reply({ text: 'A haiku about queues' });
    process.env.PTQ_PLANNER = 'openai';
    process.env.PTQ_BASE_URL = baseUrl;
    process.env.PTQ_MODEL = 'gpt-4o-mini';
    try {
      const p = plan({
        tasks: [
          { id: 'topic', run: { type: 'shell', command: ['echo', 'durable queues'] } },
          {
            id: 'poem',
            dependsOn: ['topic'],
            run: { type: 'llm', prompt: 'Write a haiku about {{tasks.topic.output}}' },
          },
        ],
      });
      await withWorker(async ({ client, taskQueue }) => {
        const summary = await summaryOf(await startRun(client, p, { id: runId('llm'), taskQueue }));
        expect(summary.status).toBe('succeeded');
        expect(summary.tasks[1].output).toBe('A haiku about queues');
        expect(JSON.stringify(fake.requests[0].body.messages)).toContain('Write a haiku about durable queues');
        expect(summary.cost.tasks).toMatchObject({ calls: 1, inputTokens: 1000, outputTokens: 500 });
      });
    } finally {
      delete process.env.PTQ_PLANNER;
      delete process.env.PTQ_BASE_URL;
      delete process.env.PTQ_MODEL;
    }
  });

  it('cancelling a run aborts a long llm call', async () => {
    fake.reply({ text: 'too late', delayMs: 60_000 });
    process.env.PTQ_PLANNER = 'openai';
    process.env.PTQ_BASE_URL = baseUrl;
    try {
      const p = plan({ tasks: [{ id: 'slow', run: { type: 'llm', prompt: 'think for a long time' } }] });
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('llmcancel'), taskQueue });
        for (let i = 0; i < 100 && fake.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        await cancelRun(client, handle.workflowId, 'stop thinking');
        expect((await summaryOf(handle)).status).toBe('cancelled');
        expect(fake.requests[0].aborted).toBe(true);
      });
    } finally {
      delete process.env.PTQ_PLANNER;
      delete process.env.PTQ_BASE_URL;
    }
  });

  it('`ptq plan` plans in-process without a server and writes the plan file', async () => {
    fake.reply({ text: good });
    const out = join(mkdtempSync(join(tmpdir(), 'ptq-plan-')), 'plan.json');
    const r = await ptq(
      ['plan', '--provider', 'openai', '--base-url', baseUrl, '--requirements', 'Greet', '--budget', '3', '-o', out],
      {
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*plan\.json: 2 tasks, 2 levels/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      maxConcurrency: 3,
      tasks: [{ id: 'hello' }, { id: 'bye' }],
    });
    const empty = await ptq(['plan', '--requirements', '   ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe('ptq: the requirements are empty: describe what you want done');
    const noKey = await ptq(['plan', '--provider', 'anthropic', '--requirements', 'Greet'], { ANTHROPIC_API_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr.trim()).toBe(
      "ptq: ANTHROPIC_API_KEY is not set in the worker's environment: export it where `ptq worker` runs",
    );
  });
});
