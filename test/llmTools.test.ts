import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { startRun, summaryOf } from '../src/client';
import { GzipCodec } from '../src/temporal/codec';
import { plan, runId, withWorker } from './helpers';
import { FakeLlm, lastToolResult, type SeenRequest } from './support/fakeLlm';
import { waitFor } from './support/processes';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * llm steps with tools against a stand-in model server that speaks the OpenAI and Anthropic wire
 * protocols, and a local page server that counts what it serves: the loop runs in the workflow,
 * each model turn and each tool call its own activity.
 */
jest.setTimeout(180_000);

const TITLE = 'Durable Agents in Practice';
const PAGE = `<html><head><title>${TITLE}</title><meta name="citation_doi" content="10.5555/ptq.2026"></head><body>An academic paper.</body></html>`;
const MODEL = 'tool-model';
/** $1 per million input tokens, $2 per million output: the stand-in's 1000 + 500 tokens cost $0.002 a turn. */
const PRICES = JSON.stringify({ [MODEL]: { input: 1, output: 2 } });
/** A value the worker holds as a secret (its name says TOKEN), which a careless page echoes. */
const SECRET = 'tok-4f1c9e2a7b';
const RETRY = { maximumAttempts: 3, initialInterval: '100ms' };

/** One activity of a workflow's history: its type, summary, input and how it ended. */
interface SeenActivity {
  type: string;
  summary: string;
  input: unknown;
  ends: string[];
  failureType?: string;
}

async function decode(p: Payload | null | undefined): Promise<unknown> {
  if (!p) return undefined;
  const [plain] = await new GzipCodec().decode([p]);
  return JSON.parse(Buffer.from(plain.data ?? []).toString('utf8'));
}

/** The activities of a workflow, in the order they were scheduled. */
async function activitiesOf(client: Client, workflowId: string): Promise<SeenActivity[]> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const byId = new Map<string, SeenActivity>();
  for (const e of events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      byId.set(String(e.eventId), {
        type: scheduled.activityType?.name ?? '',
        summary: Buffer.from(e.userMetadata?.summary?.data ?? [])
          .toString()
          .replace(/^"|"$/g, ''),
        input: await decode(scheduled.input?.payloads?.[0]),
        ends: [],
      });
    }
    const ends = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['timedOut', e.activityTaskTimedOutEventAttributes],
    ] as const;
    for (const [kind, attrs] of ends) {
      const activity = attrs && byId.get(String(attrs.scheduledEventId));
      if (!activity) continue;
      activity.ends.push(kind);
      const failure = e.activityTaskFailedEventAttributes?.failure;
      if (failure) activity.failureType = failure.applicationFailureInfo?.type ?? undefined;
    }
  }
  return [...byId.values()];
}

/** The tools a request offers the model, by name, in either wire format. */
const offered = (req: SeenRequest) => (req.body.tools ?? []).map((t) => t.name ?? t.function?.name);

describe('llm steps with tools', () => {
  const llm = new FakeLlm();
  let pages: Server;
  let base: string;
  let llmBase: string;
  const hits: string[] = [];
  const served = (path: string) => hits.filter((h) => h === path).length;

  beforeAll(async () => {
    pages = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/paper') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else if (req.url === '/leak') res.writeHead(200).end(`debug: token=${SECRET}`);
      else res.writeHead(404).end('no such page');
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    llmBase = await llm.start();
  });
  afterAll(async () => {
    pages.closeAllConnections();
    pages.close();
    await llm.close();
  });
  beforeEach(() => (hits.length = 0));

  /** The worker's model settings for a provider: the stand-in server, a key, a priced model. */
  const modelEnv = (provider: 'openai' | 'anthropic'): Record<string, string> => ({
    PTQ_PLANNER: provider,
    PTQ_BASE_URL: llmBase,
    PTQ_MODEL: MODEL,
    PTQ_MODEL_PRICES: PRICES,
    ...(provider === 'openai' ? { OPENAI_API_KEY: 'sk-test-tools' } : { ANTHROPIC_API_KEY: 'sk-ant-test-tools' }),
  });

  /** Runs `fn` with an in-process worker whose environment points at the stand-in model. */
  async function withModel<T>(provider: 'openai' | 'anthropic', fn: Parameters<typeof withWorker<T>>[0]): Promise<T> {
    const vars = modelEnv(provider);
    Object.assign(process.env, vars);
    try {
      return await withWorker(fn);
    } finally {
      for (const name of Object.keys(vars)) delete process.env[name];
    }
  }

  it.each(['openai', 'anthropic'] as const)(
    '%s: the model calls http on a local page, then answers from it; each turn and the call are activities',
    async (provider) => {
      llm.reply(
        { toolCalls: [{ name: 'http', input: { url: `${base}/paper` } }] },
        { text: (req) => `Title: ${/<title>([^<]*)<\/title>/.exec(lastToolResult(req))?.[1] ?? 'none'}` },
      );
      const p = plan({
        defaults: { retry: RETRY },
        tasks: [
          {
            id: 'verify',
            run: { type: 'llm', prompt: `Verify that ${base}/paper loads; give its title.`, tools: ['http'] },
          },
        ],
      });
      await withModel(provider, async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId(`tools-${provider}`), taskQueue });
        const summary = await summaryOf(handle);
        const task = summary.tasks[0];
        expect(summary.status).toBe('succeeded');
        expect(task.output).toContain(`Title: ${TITLE}`);
        // Two turns, each counted and priced, summed on the task.
        expect(task.usage).toEqual({ calls: 2, inputTokens: 2000, outputTokens: 1000, costUsd: 0.004 });
        expect(served('/paper')).toBe(1);
        // The provider's own wire format: tools offered, then the tool result carried back.
        const [first, second] = llm.requests;
        expect(llm.requests).toHaveLength(2);
        expect(offered(first)).toEqual(['http']);
        const carried = provider === 'openai' ? 'tool' : 'user';
        expect(second.body.messages?.at(-1)?.role).toBe(carried);
        expect(lastToolResult(second)).toContain('10.5555/ptq.2026');
        const activities = await activitiesOf(client, `${handle.workflowId}/verify`);
        expect(activities.map((a) => a.type)).toEqual(['llmTurn', 'runTool', 'llmTurn']);
        expect(activities[1]).toMatchObject({
          summary: `tool http GET ${base}/paper`,
          input: { tool: 'http', input: { url: `${base}/paper` } },
          ends: ['completed'],
        });
        expect(activities[0].summary).toMatch(/\(turn 1\/8\)$/);
        expect(activities[2].summary).toMatch(/\(turn 2\/8\)$/);
      });
    },
  );

  it('refuses link-local addresses and programs the shell tool does not allow; the model reads why', async () => {
    llm.reply(
      {
        toolCalls: [
          { name: 'http', input: { url: 'http://169.254.169.254/latest/meta-data/' } },
          { name: 'shell', input: { argv: ['echo', 'hello-from-tool'] } },
          { name: 'shell', input: { argv: ['cat', '/etc/hostname'] } },
        ],
      },
      { text: (req) => `Tools said: ${JSON.stringify(req.body.messages?.slice(-3))}` },
    );
    const p = plan({
      defaults: { retry: RETRY },
      tasks: [
        {
          id: 'probe',
          run: { type: 'llm', prompt: 'Probe the metadata service.', tools: ['http', { shell: { allow: ['echo'] } }] },
        },
      ],
    });
    await withModel('openai', async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('tools-refused'), taskQueue });
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('succeeded');
      const output = summary.tasks[0].output ?? '';
      expect(output).toContain('link-local or cloud metadata address');
      expect(output).toContain('hello-from-tool');
      expect(output).toContain('program \\"cat\\" is not allowed: use echo');
      const calls = (await activitiesOf(client, `${handle.workflowId}/probe`)).filter((a) => a.type === 'runTool');
      expect(calls.map((c) => [c.summary, c.ends, c.failureType])).toEqual([
        ['tool http GET http://169.254.169.254/latest/meta-data/', ['failed'], 'HttpBlockedAddress'],
        ['tool shell echo hello-from-tool', ['completed'], undefined],
        ['tool shell (refused)', ['failed'], 'ToolCallRefused'],
      ]);
    });
  });

  it("masks the worker's secrets in tool results: the model never reads them", async () => {
    llm.reply(
      { toolCalls: [{ name: 'http', input: { url: `${base}/leak` } }] },
      { text: (req) => `Page said: ${lastToolResult(req)}` },
    );
    const p = plan({
      defaults: { retry: RETRY },
      tasks: [{ id: 'leak', run: { type: 'llm', prompt: `Read ${base}/leak.`, tools: ['http'] } }],
    });
    process.env.PAGE_TOKEN = SECRET;
    try {
      await withModel('openai', async ({ client, taskQueue }) => {
        const summary = await summaryOf(await startRun(client, p, { id: runId('tools-secret'), taskQueue }));
        expect(summary.status).toBe('succeeded');
        expect(summary.tasks[0].output).toContain('debug: token=***');
        expect(served('/leak')).toBe(1);
        expect(JSON.stringify(llm.requests.map((r) => r.body))).not.toContain(SECRET);
      });
    } finally {
      delete process.env.PAGE_TOKEN;
    }
  });

  it('fails with the last turn when maxSteps runs out, stops at budgetUsd, and repairs an answer that is not JSON', async () => {
    const p = plan({
      defaults: { retry: RETRY },
      tasks: [
        {
          id: 'steps',
          run: { type: 'llm', prompt: 'Keep fetching.', tools: ['http'], maxSteps: 2 },
        },
        {
          id: 'budget',
          run: { type: 'llm', prompt: 'Keep fetching.', tools: ['http'], budgetUsd: 0.001 },
        },
      ],
    });
    await withModel('openai', async ({ client, taskQueue }) => {
      llm.reply({ toolCalls: [{ name: 'http', input: { url: `${base}/paper` } }] });
      const handle = await startRun(client, p, { id: runId('tools-limits'), taskQueue, maxConcurrency: 2 });
      const summary = await summaryOf(handle);
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      expect(summary.status).toBe('failed');
      expect(byId.steps.error).toContain(
        `no final answer after 2 turns (maxSteps); last turn: calls http {"url":"${base}/paper"}`,
      );
      expect(byId.steps.usage?.calls).toBe(2);
      expect(byId.budget.error).toContain('spent $0.002 of budgetUsd $0.001 in 1 turns, no final answer');
      expect(byId.budget.usage?.calls).toBe(1);
      expect(summary.cost.tasks?.costUsd).toBe(0.006);
      // Only the first turn of `steps` had its call run: the last turn's calls never run, nor budget's.
      expect(served('/paper')).toBe(1);
      await expect(client.workflow.getHandle(`${handle.workflowId}/steps`).result()).rejects.toMatchObject({
        cause: { type: 'TaskFailed', cause: { type: 'LlmStepLimit' } },
      });

      llm.reply(
        { toolCalls: [{ name: 'http', input: { url: `${base}/paper` } }] },
        { text: `The title is ${TITLE}.` },
        { text: `\`\`\`json\n{"title": "${TITLE}"}\n\`\`\`` },
      );
      const json = plan({
        defaults: { retry: RETRY },
        tasks: [{ id: 'title', output: 'json', run: { type: 'llm', prompt: 'Title as JSON.', tools: ['http'] } }],
      });
      const fixed = await summaryOf(await startRun(client, json, { id: runId('tools-json'), taskQueue }));
      expect(fixed.status).toBe('succeeded');
      expect(fixed.tasks[0].json).toEqual({ title: TITLE });
      expect(fixed.tasks[0].usage?.calls).toBe(3);
      expect(JSON.stringify(llm.requests[2].body.messages?.at(-1))).toContain('not valid JSON');
    });
  });

  it("a map's llm items and its until: {llm} may use tools: each fetches the page, then answers", async () => {
    const doi = (req: SeenRequest) => /10\.\d+\/[\w.]+/.exec(lastToolResult(req))?.[0] ?? 'none';
    llm.reply(
      { toolCalls: [{ name: 'http', input: { url: `${base}/paper` } }] },
      { text: (req) => JSON.stringify(Array.from({ length: 40 }, (_, i) => `${doi(req)}#${i}`)) },
      { toolCalls: [{ name: 'http', input: { url: `${base}/paper` } }] },
      { text: 'yes' },
    );
    const p = plan({
      defaults: { retry: RETRY },
      tasks: [
        {
          id: 'links',
          map: {
            items: { llm: { prompt: `List the sources cited by ${base}/paper.`, tools: ['http'] } },
            maxParallel: 1,
            until: { llm: { prompt: `Stop once ${base}/paper has a DOI.`, every: 2, tools: ['http'] } },
          },
          run: { type: 'shell', command: ['sh', '-c', 'sleep 0.3; echo "$1"', 'sh', '{{item}}'] },
        },
      ],
    });
    await withModel('openai', async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('tools-map'), taskQueue });
      const summary = await summaryOf(handle);
      const task = summary.tasks[0];
      expect(summary.status).toBe('succeeded');
      expect(task.items?.total).toBe(40);
      // The items came from the page the model read: their outputs carry its DOI.
      expect(readFileSync(task.results ?? '', 'utf8')).toContain('10.5555/ptq.2026#0');
      expect(task.stop).toContain('until (model) said stop');
      expect(task.items?.succeeded).toBeLessThan(40);
      expect(task.usage?.calls).toBe(4);
      expect(served('/paper')).toBe(2);
      const calls = (await activitiesOf(client, `${handle.workflowId}/links`)).filter((a) => a.type === 'runTool');
      expect(calls.map((c) => c.summary)).toEqual([
        `items: tool http GET ${base}/paper`,
        `until: tool http GET ${base}/paper`,
      ]);
    });
  });

  describe('a worker killed with -9 mid-loop', () => {
    let worker: WorkerProcess | undefined;
    afterEach(() => worker?.child.kill('SIGKILL'));

    it('resumes at the next turn on another worker; the tool call is not repeated', async () => {
      const env = { ...modelEnv('openai'), PTQ_DATA_DIR: mkdtempSync(join(tmpdir(), 'ptq-tools-')) };
      const answer = { text: (req: SeenRequest) => `Page said: ${lastToolResult(req).slice(0, 200)}` };
      // The second turn hangs until the worker is killed.
      llm.reply({ toolCalls: [{ name: 'http', input: { url: `${base}/paper` } }] }, { ...answer, delayMs: 600_000 });
      const queue = `tools-kill-${runId('q')}`;
      worker = await startWorkerProcess(queue, [], env);
      const p = plan({
        defaults: { retry: RETRY, heartbeatTimeout: '2s' },
        tasks: [{ id: 'verify', run: { type: 'llm', prompt: `Read ${base}/paper.`, tools: ['http'] } }],
      });
      await withWorker(async ({ client }) => {
        const handle = await startRun(client, p, { id: runId('tools-kill'), taskQueue: queue });
        await waitFor(() => llm.requests.length === 2, 60_000);
        expect(served('/paper')).toBe(1);
        worker?.child.kill('SIGKILL');
        await worker?.exited;
        llm.reply(answer);
        worker = await startWorkerProcess(queue, [], env);
        const summary = await summaryOf(handle);
        expect(summary.status).toBe('succeeded');
        expect(summary.tasks[0].output).toContain(TITLE);
        expect(served('/paper')).toBe(1);
        const activities = await activitiesOf(client, `${handle.workflowId}/verify`);
        expect(activities.map((a) => [a.type, a.ends])).toEqual([
          ['llmTurn', ['completed']],
          ['runTool', ['completed']],
          ['llmTurn', ['completed']],
        ]);
        // The retried turn carried the first call's result, not a new one.
        expect(lastToolResult(llm.requests[0])).toContain(TITLE);
      });
    });
  });
});
