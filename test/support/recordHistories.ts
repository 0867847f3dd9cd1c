/**
 * Records histories of typical runs into test/fixtures/histories, for the replay test. Run it from
 * a checkout of the version whose histories must keep replaying (e.g. before a workflow change):
 *   npx tsx test/support/recordHistories.ts <prefix> [outDir]
 * Every history is replayed by test/replay.test.ts against the current workflow code.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startPlanned, startRun } from '../../src/client';
import { Plan, type PlanInput } from '../../src/core';
import type { RunPlanInput } from '../../src/shared';
import { GzipCodec } from '../../src/temporal/codec';
import { startDevServer } from '../../src/temporal/devServer';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { createWorker } from '../../src/worker';
import { makeRepo, STAND_IN_BIN } from './gitRepo';

const run = promisify(execFile);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const [prefix = 'v', outDir = resolve(__dirname, '../fixtures/histories')] = process.argv.slice(2);

const tasks: PlanInput['tasks'] = [
  // A child workflow of its own (since `auto`, short tasks run inline): the 'task' fixture.
  { id: 'a', title: 'Say hi', execution: 'child', run: { type: 'shell', command: ['echo', 'hi'] } },
  {
    id: 'b',
    dependsOn: ['a'],
    retry: { maximumAttempts: 2, initialInterval: '50ms' },
    run: { type: 'shell', command: ['sh', '-c', 'echo broken >&2; exit 1'] },
  },
  { id: 'c', dependsOn: ['b'], run: { type: 'shell', command: ['true'] } },
  {
    id: 'd',
    run: [
      { type: 'sleep', duration: '300ms' },
      { type: 'shell', command: ['echo', 'slept'] },
    ],
  },
  { id: 'e', dependsOn: ['a', 'd'], group: 'g', resources: ['r'], run: { type: 'shell', command: ['true'] } },
];
/** Waits for a run to end; failed and cancelled runs end as Failed and Cancelled executions. */
const ended = (handle: WorkflowHandle) => handle.result().catch(() => undefined);

const plan = (extra: Partial<PlanInput> = {}) =>
  Plan.parse({ name: 'fixture', maxConcurrency: 2, groups: { g: { maxConcurrency: 1 } }, tasks, ...extra });

/** Where one recording saves its histories, and the server it records on. */
interface Recording {
  client: Client;
  taskQueue: string;
  save: (name: string, handle: WorkflowHandle, runId?: string) => Promise<void>;
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await onServer(recordTypical);
  // Temporal suggests continue-as-new at 4,096 events; at 20 a short run's generation decides whether
  // it is full (`longer-generations`) without a history of megabytes.
  await onServer(recordSuggested, { 'limit.historyCount.suggestContinueAsNew': 20 });
}

/** Runs `record` on a dev server of its own (with these dynamic config values), with a worker polling. */
async function onServer(
  record: (r: Recording) => Promise<void>,
  dynamicConfig?: Record<string, unknown>,
): Promise<void> {
  const server = await startDevServer({ headless: true, dynamicConfig });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `record-${Date.now()}`;
  // The Temporal CLI writes the standard JSON history format that replay reads.
  const cli = await ensureTemporalCli();
  const save = async (name: string, handle: WorkflowHandle, runId?: string) => {
    const args = ['workflow', 'show', '--address', server.address, '-w', handle.workflowId, '-o', 'json'];
    const { stdout } = await run(cli, runId ? [...args, '-r', runId] : args, { maxBuffer: 64 << 20 });
    const fixture = { workflowId: handle.workflowId, history: JSON.parse(stdout) as unknown };
    writeFileSync(join(outDir, `${prefix}-${name}.json`), JSON.stringify(fixture, null, 1));
  };
  try {
    const worker = await createWorker({ connection: native, taskQueue });
    await worker.runUntil(record({ client, taskQueue, save }));
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
  }
}

/** Every kind of run this version has, each recorded as it typically goes. */
async function recordTypical({ client, taskQueue, save }: Recording): Promise<void> {
  // Failure, skip, sleep, limits, and every message: pause, resume, setConcurrency, progress.
  const run = await startRun(client, plan(), { id: 'fixture-run', taskQueue });
  await run.signal('pause');
  await run.query('progress');
  await run.signal('resume');
  await run.executeUpdate('setConcurrency', { args: [3] });
  await ended(run);
  await save('run', run);
  await save('task', client.workflow.getHandle(`${run.workflowId}/a`));
  // Continue-as-new: every generation's history.
  const can = await startRun(client, plan(), { id: 'fixture-can', taskQueue, continueAsNewAfter: 2 });
  await ended(can);
  await new Promise((r) => setTimeout(r, 1500)); // visibility catches up with the last generation
  let generation = 0;
  const carried: boolean[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${can.workflowId}'` })) {
    await save(`continue-as-new-${++generation}`, can, wf.runId);
    carried.push(await carriesPlan(client, can.workflowId, wf.runId));
  }
  // This version on: only the first generation carries the plan; the later ones read it by reference.
  if (carried.length > 1 && carried.filter(Boolean).length !== 1)
    throw new Error(`the plan was carried by ${carried.filter(Boolean).length} of ${carried.length} generations`);
  // Inline tasks, where this version has them.
  const inline = Plan.safeParse({ ...plan(), defaults: { execution: 'inline' } });
  if (inline.success) {
    const handle = await startRun(client, inline.data, { id: 'fixture-inline', taskQueue });
    await ended(handle);
    await save('inline', handle);
  }
  // Cancelled while a task runs: by Temporal's cancel, and by the cancel signal.
  const cancelWhileRunning = async (name: string, id: string, cancel: (handle: WorkflowHandle) => Promise<void>) => {
    const long = Plan.parse({ tasks: [{ id: 'long', run: { type: 'shell', command: ['sleep', '600'] } }] });
    const handle = await startRun(client, long, { id, taskQueue });
    await new Promise((r) => setTimeout(r, 500));
    await cancel(handle);
    await ended(handle);
    await save(name, handle);
  };
  await cancelWhileRunning('cancelled', 'fixture-cancel', (handle) => handle.cancel().then(() => undefined));
  await cancelWhileRunning('cancel-signal', 'fixture-cancel-signal', (handle) => handle.signal('cancel', 'enough'));
  // Fail-fast: one failure cancels the running task and skips the rest.
  const failFast = await startRun(
    client,
    Plan.parse({
      onFailure: 'fail-fast',
      tasks: [
        { id: 'long', run: { type: 'shell', command: ['sleep', '600'] } },
        { id: 'bad', retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['false'] } },
        { id: 'after', dependsOn: ['bad'], run: { type: 'shell', command: ['true'] } },
      ],
    }),
    { id: 'fixture-fail-fast', taskQueue },
  );
  await ended(failFast);
  await save('fail-fast', failFast);
  // Planning (offline planner, no model) and approval.
  const requirements = '1. Greet `echo hi`\n2. Leave `echo bye`';
  const approved = await startPlanned(
    client,
    { requirements, provider: 'offline', name: 'greet' },
    { id: 'fixture-approval', taskQueue, approve: true },
  );
  await waitUntilApprovable(approved);
  await approved.executeUpdate('approve');
  await ended(approved);
  await save('approval', approved);
  // Cancelled while waiting for approval, after a new M was set (this version on).
  const waiting = await startPlanned(
    client,
    { requirements, provider: 'offline', name: 'greet' },
    { id: 'fixture-approval-cancel', taskQueue, approve: true },
  );
  await waitUntilApprovable(waiting);
  await waiting.executeUpdate('setConcurrency', { args: [3] });
  await waiting.signal('cancel', 'not today');
  await ended(waiting);
  await save('approval-cancel', waiting);
  // Data flow (this version on): JSON outputs, templates, params, a condition, runIf and finally.
  const flow = Plan.safeParse({
    params: { env: { default: 'dev' } },
    tasks: [
      { id: 'x', output: 'json', run: { type: 'shell', command: ['echo', '{"n": 2}'] } },
      { id: 'y', dependsOn: ['x'], run: { type: 'shell', command: ['echo', '{{tasks.x.json.n}} {{params.env}}'] } },
      { id: 'z', dependsOn: ['x'], when: 'tasks.x.json.n > 5', run: { type: 'shell', command: ['true'] } },
      { id: 'bad', retry: { maximumAttempts: 1 }, run: { type: 'shell', command: ['false'] } },
      { id: 'alert', dependsOn: ['bad'], runIf: 'failure', run: { type: 'shell', command: ['echo', 'alert'] } },
    ],
    finally: [{ id: 'cleanup', run: { type: 'shell', command: ['echo', 'bye {{tasks.y.output}}'] } }],
  });
  if (flow.success) {
    const handle = await startRun(client, flow.data, { id: 'fixture-dataflow', taskQueue });
    await ended(handle);
    await save('dataflow', handle);
  }
  // A map (this version on): an until stop, a results dependent, and the map's own continue-as-new.
  const mapped = Plan.safeParse({
    tasks: [
      {
        id: 'each',
        output: 'json',
        map: { items: { range: [0, 12] }, maxParallel: 3, until: 'size(results.filter(r, r.json.n > 8)) >= 1' },
        run: { type: 'shell', command: ['sh', '-c', 'echo "{\\"n\\": $1}"', 'sh', '{{item}}'] },
      },
      { id: 'count', dependsOn: ['each'], run: { type: 'shell', command: ['wc', '-l', '{{tasks.each.results}}'] } },
    ],
  });
  if (mapped.success) {
    const handle = await startRun(client, mapped.data, { id: 'fixture-map', taskQueue, continueAsNewAfter: 4 });
    await ended(handle);
    await save('map-run', handle);
    await new Promise((r) => setTimeout(r, 1500));
    const mapId = `${handle.workflowId}/each`;
    let generation = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${mapId}'` }))
      await save(`map-${++generation}`, client.workflow.getHandle(mapId), wf.runId);
  }
  // A planned schedule that idles a slot on purpose (this version on): estimates in seconds, short sleeps.
  const sleep = { type: 'sleep', duration: '100ms' } as const;
  const planned = Plan.safeParse({
    name: 'needs-idle',
    maxConcurrency: 2,
    tasks: [
      { id: 'a', estimate: 4_000, run: sleep },
      { id: 'b', estimate: 2_000, run: sleep },
      { id: 'c', estimate: 4_000, dependsOn: ['b'], run: sleep },
      { id: 'd', estimate: 4_000, dependsOn: ['b'], run: sleep },
      { id: 'e', estimate: 4_000, dependsOn: ['c', 'd'], run: sleep },
    ],
  });
  if (planned.success) {
    const handle = await startRun(client, planned.data, { id: 'fixture-planned', taskQueue });
    await ended(handle);
    await save('planned', handle);
  }
  // Coding agents (this version on): a workspace, agent steps with cost, a group with phases.
  process.env.PATH = `${STAND_IN_BIN}:${process.env.PATH}`;
  const agent = (prompt: string) => ({ type: 'agent', agent: 'claude', prompt });
  const agents = Plan.safeParse({
    workspace: { git: { repo: makeRepo() } },
    groups: { api: { before: { type: 'shell', command: ['true'] }, after: { type: 'shell', command: ['true'] } } },
    tasks: [
      { id: 'a', group: 'api', run: agent('@write a.txt a\n@cost 0.1') },
      { id: 'b', group: 'api', run: agent('@write b.txt b\n@cost 0.2') },
      { id: 'c', dependsOn: ['a', 'b'], run: agent('@write c.txt c') },
    ],
  });
  if (agents.success) {
    const handle = await startRun(client, agents.data, { id: 'fixture-agents', taskQueue });
    await ended(handle);
    await save('agents', handle);
  }
  // A map wide enough to shard (this version on): maxParallel above 500, M=250, so three shards of 100.
  const wide = Plan.safeParse({
    maxConcurrency: 250,
    tasks: [
      {
        id: 'each',
        map: { items: { range: [0, 9] }, maxParallel: 501 },
        run: { type: 'shell', command: ['true'] },
      },
    ],
  });
  if (wide.success) {
    const handle = await startRun(client, wide.data, { id: 'fixture-sharded', taskQueue });
    await ended(handle);
    await save('sharded-run', handle);
    const mapId = `${handle.workflowId}/each`;
    await save('sharded-map', client.workflow.getHandle(mapId));
    await new Promise((r) => setTimeout(r, 1500));
    const shards = new Set<string>();
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${mapId}/s'` }))
      shards.add(wf.workflowId);
    if (shards.size < 2) throw new Error(`the wide map ran in ${shards.size} shards, not 2 or more`);
    for (const shard of [...shards].sort())
      await save(`sharded-${shard.slice(mapId.length + 1)}`, client.workflow.getHandle(shard));
  }
  // A named rate limit (this version on): a limited task and a limited map, which look at their waits.
  const limited = Plan.safeParse({
    limits: { 'fixture-api': { rate: '2/s' } },
    tasks: [
      { id: 'one', rateLimit: 'fixture-api', run: { type: 'shell', command: ['true'] } },
      {
        id: 'each',
        rateLimit: 'fixture-api',
        map: { items: { range: [0, 6] }, maxParallel: 6 },
        run: { type: 'shell', command: ['true'] },
      },
    ],
  });
  if (limited.success) {
    const handle = await startRun(client, limited.data, { id: 'fixture-limit', taskQueue });
    await ended(handle);
    await save('limit-run', handle);
    await save('limit-map', client.workflow.getHandle(`${handle.workflowId}/each`));
  }
}

/** A run that Temporal told to continue as new: this version's runs hold more history than that. */
async function recordSuggested({ client, taskQueue, save }: Recording): Promise<void> {
  const handle = await startRun(client, plan(), { id: 'fixture-suggested', taskQueue });
  await ended(handle);
  const { events } = await handle.fetchHistory();
  if (!events?.some((e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew))
    throw new Error('Temporal did not suggest continue-as-new to the run');
  await save('suggested', handle);
}

/** Whether a run's input, as the server holds it, carries the plan itself (not a reference to it). */
async function carriesPlan(client: Client, workflowId: string, runId: string): Promise<boolean> {
  const { events } = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const [decoded] = await new GzipCodec().decode([payload ?? {}]);
  return (JSON.parse(Buffer.from(decoded.data ?? []).toString('utf8')) as RunPlanInput).plan !== undefined;
}

/** Approval is refused until planning is done: poll until the run waits for it. */
async function waitUntilApprovable(handle: WorkflowHandle): Promise<void> {
  for (;;) {
    const progress = (await handle.query('progress')) as { reason?: string | null };
    if (progress.reason === 'waiting for approval') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
