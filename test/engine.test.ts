import { summaryOf } from '../src/client';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startRun } from '../src/client';
import { getProgress } from '../src/client/control';
import { validatePlan } from '../src/core';
import { randomDag } from '../bench/dags';
import { generationsOf, plan, runId, withWorker } from './helpers';
import { validPlan } from './support/planArbitraries';
import { waitFor } from './support/processes';
import { maxOverlap, recorder, workTask } from './support/recorder';

describe('engine on the real server', () => {
  it('keeps every dependency edge, M, group limits and resource mutexes', async () => {
    const { intervals, activities } = recorder();
    const dag = randomDag(42, 30, 4);
    const p = plan({
      name: 'limits',
      maxConcurrency: 4,
      groups: { g: { maxConcurrency: 2 } },
      tasks: dag.tasks.map((t, i) => ({
        ...workTask(t.id, 50 + (i % 5) * 40),
        dependsOn: t.dependsOn,
        group: i % 3 === 0 ? 'g' : undefined,
        resources: i % 4 === 0 ? ['file:shared.txt'] : undefined,
      })),
    });
    await withWorker(
      async ({ client, taskQueue }) => {
        const summary = await summaryOf(await startRun(client, p, { id: runId('limits'), taskQueue }));
        expect(summary.status).toBe('succeeded');
        expect(summary.counts.succeeded).toBe(30);
      },
      { activities },
    );
    const at = Object.fromEntries(intervals.map((i) => [i.id, i]));
    for (const task of p.tasks)
      for (const dep of task.dependsOn) expect(at[dep].end).toBeLessThanOrEqual(at[task.id].start);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(4);
    expect(maxOverlap(intervals)).toBeGreaterThan(1);
    const inGroup = new Set(p.tasks.filter((t) => t.group === 'g').map((t) => t.id));
    expect(maxOverlap(intervals, (id) => inGroup.has(id))).toBeLessThanOrEqual(2);
    const holders = new Set(p.tasks.filter((t) => t.resources).map((t) => t.id));
    expect(maxOverlap(intervals, (id) => holders.has(id))).toBe(1);
  });

  it('retries a flaky task with backoff until it succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-retry-'));
    const log = join(dir, 'attempts');
    writeFileSync(log, '');
    // Fails on attempts 1 and 2, succeeds on 3; each attempt appends its start time.
    const script = `const fs=require('fs');fs.appendFileSync(${JSON.stringify(log)},Date.now()+'\\n');const n=fs.readFileSync(${JSON.stringify(log)},'utf8').trim().split('\\n').length;if(n<3){console.error('flaky '+n);process.exit(1)}console.log('ok after '+n)`;
    const p = plan({
      tasks: [
        {
          id: 'flaky',
          retry: { maximumAttempts: 5, initialInterval: '200ms', backoffCoefficient: 2 },
          run: { type: 'shell', command: ['node', '-e', script] },
        },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const summary = await summaryOf(await startRun(client, p, { id: runId('retry'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      expect(summary.tasks[0]).toMatchObject({ attempts: 3, error: null });
      expect(summary.tasks[0].output).toContain('ok after 3');
    });
    const starts = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    expect(starts).toHaveLength(3);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(200);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(400);
  });

  it('skips dependents of a failed task, runs independent work, and ends failed', async () => {
    const p = plan({
      name: 'partial',
      tasks: [
        {
          id: 'broken',
          retry: { maximumAttempts: 2, initialInterval: '50ms' },
          run: { type: 'shell', command: ['node', '-e', 'console.error("disk full"); process.exit(3)'] },
        },
        { id: 'after', dependsOn: ['broken'], run: { type: 'shell', command: ['echo', 'never'] } },
        { id: 'after2', dependsOn: ['after'], run: { type: 'shell', command: ['echo', 'never'] } },
        { id: 'independent', run: { type: 'shell', command: ['echo', 'fine'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const summary = await summaryOf(await startRun(client, p, { id: runId('partial'), taskQueue }));
      expect(summary.status).toBe('failed');
      expect(summary.counts).toEqual({ total: 4, succeeded: 1, failed: 1, skipped: 2, cancelled: 0 });
      const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
      expect(byId.broken.error).toContain('exit code 3: disk full');
      expect(byId.broken.attempts).toBe(2);
      expect(byId.after.reason).toBe('skipped because "broken" failed');
      expect(byId.after2.reason).toBe('skipped because "broken" failed');
      expect(byId.independent.output).toContain('fine');
    });
  });

  it("runs a group's before once ahead of its tasks and after once they ended; a failing after skips the group's dependents", async () => {
    const { intervals, activities } = recorder();
    const work = (id: string, ms: number) => ({ type: 'activity' as const, name: 'work', input: { id, ms } });
    const p = plan({
      maxConcurrency: 4,
      groups: {
        api: { before: work('api:before', 100), after: [work('api:after', 50), { type: 'shell', command: ['false'] }] },
      },
      tasks: [
        ...['a', 'b', 'c'].map((id) => workTask(id, 400, { group: 'api', execution: id === 'c' ? 'inline' : 'child' })),
        workTask('docs', 10, { dependsOn: ['c'] }),
        workTask('other', 10),
      ],
    });
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('phases'), taskQueue });
        const seen = new Set<string>();
        await waitFor(async () => {
          const groups = (await getProgress(client, handle.workflowId)).groups ?? [];
          for (const g of groups) seen.add(`${g.name} ${g.phase}`);
          return seen.has('api tasks');
        });
        const summary = await summaryOf(handle);
        const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
        expect(byId['api:after'].status).toBe('failed');
        expect(byId.docs.reason).toBe('skipped because "api:after" failed');
        expect(['a', 'b', 'c', 'other'].map((id) => byId[id].status)).toEqual(Array(4).fill('succeeded'));
      },
      { activities },
    );
    const at = Object.fromEntries(intervals.map((i) => [i.id, i]));
    expect(
      intervals
        .filter((i) => i.id.startsWith('api:'))
        .map((i) => i.id)
        .sort(),
    ).toEqual(['api:after', 'api:before']);
    for (const m of ['a', 'b', 'c']) {
      expect(at['api:before'].end).toBeLessThanOrEqual(at[m].start);
      expect(at[m].end).toBeLessThanOrEqual(at['api:after'].start);
    }
    expect(maxOverlap(intervals, (id) => ['a', 'b', 'c'].includes(id))).toBe(3);
  });

  it('keeps to a planned schedule: a ready task waits so the tasks on the longest path go first', async () => {
    // Two slots. Starting a at once (as a list scheduler must) makes c and d run one after the
    // other; the planned schedule runs b alone, then c and d together, then a beside e.
    const sleep = (id: string, ms: number, dependsOn: string[] = []) => ({
      id,
      estimate: ms,
      dependsOn,
      run: { type: 'sleep' as const, duration: ms },
    });
    const p = plan({
      name: 'planned-schedule',
      maxConcurrency: 2,
      tasks: [
        sleep('a', 1_200),
        sleep('b', 600),
        sleep('c', 1_200, ['b']),
        sleep('d', 1_200, ['b']),
        sleep('e', 1_200, ['c', 'd']),
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const summary = await summaryOf(await startRun(client, p, { id: runId('planned'), taskQueue }));
      expect(summary.status).toBe('succeeded');
      const started = Object.fromEntries(summary.tasks.map((t) => [t.id, Date.parse(t.startedAt as string)]));
      expect(started.a).toBeGreaterThanOrEqual(started.c);
      expect(started.a).toBeGreaterThanOrEqual(started.d);
    });
  });

  it('continues as new with its scheduler state and loses no task across the boundary', async () => {
    const { intervals, activities } = recorder();
    const dag = randomDag(9, 14, 3);
    const p = plan({
      maxConcurrency: 3,
      tasks: dag.tasks.map((t) => ({ ...workTask(t.id, 60), dependsOn: t.dependsOn })),
    });
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('can'), taskQueue, continueAsNewAfter: 4 });
        const summary = await summaryOf(handle);
        expect(summary.status).toBe('succeeded');
        expect(summary.id).toBe(handle.workflowId);
        expect(summary.tasks.every((t) => t.status === 'succeeded' && t.startedAt !== null)).toBe(true);
        const runs = (await generationsOf(client, handle.workflowId)).map((wf) => wf.status.name);
        expect(runs.filter((r) => r === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(3);
      },
      { activities },
    );
    expect(intervals.map((i) => i.id).sort()).toEqual(p.tasks.map((t) => t.id).sort());
    const at = Object.fromEntries(intervals.map((i) => [i.id, i]));
    for (const task of p.tasks)
      for (const dep of task.dependsOn) expect(at[dep].end).toBeLessThanOrEqual(at[task.id].start);
  });

  it('runs inline tasks as activities of the run itself: order, M, retries, failures, continue-as-new, no child', async () => {
    const { intervals, activities } = recorder();
    const dag = randomDag(7, 16, 3);
    const p = plan({
      name: 'inline',
      maxConcurrency: 3,
      defaults: { execution: 'inline', retry: { initialInterval: '50ms' } },
      tasks: [
        ...dag.tasks.map((t) => ({ ...workTask(t.id, 40), dependsOn: t.dependsOn })),
        {
          id: 'nap',
          title: 'Short nap',
          run: [
            { type: 'sleep', duration: '50ms' },
            { type: 'shell', command: ['echo', 'woke'] },
          ],
        },
        {
          id: 'broken',
          retry: { maximumAttempts: 2 },
          run: { type: 'shell', command: ['sh', '-c', 'echo no >&2; exit 4'] },
        },
        { id: 'after', dependsOn: ['broken'], run: { type: 'shell', command: ['true'] } },
        { id: 'own', execution: 'child', run: { type: 'shell', command: ['echo', 'child'] } },
      ],
    });
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('inline'), taskQueue, continueAsNewAfter: 8 });
        const summary = await summaryOf(handle);
        const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
        expect(summary.status).toBe('failed');
        expect(summary.counts).toEqual({ total: 20, succeeded: 18, failed: 1, skipped: 1, cancelled: 0 });
        expect(byId.nap.output).toContain('woke');
        expect(byId.broken).toMatchObject({ attempts: 2, error: expect.stringContaining('exit code 4: no') });
        expect(byId.after.reason).toBe('skipped because "broken" failed');
        expect(byId.own.output).toContain('child');
        // Inline steps show in the run's own histories (one per continue-as-new), named by their task.
        const runs = await generationsOf(client, handle.workflowId);
        const summaries: string[] = [];
        for (const wf of runs) {
          const { events } = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
          for (const e of events ?? [])
            if (e.activityTaskScheduledEventAttributes)
              summaries.push(Buffer.from(e.userMetadata?.summary?.data ?? []).toString());
        }
        expect(runs.length).toBeGreaterThanOrEqual(3);
        // Only the task marked `child` got a workflow of its own.
        await expect(client.workflow.getHandle(`${handle.workflowId}/own`).describe()).resolves.toBeDefined();
        await expect(client.workflow.getHandle(`${handle.workflowId}/nap`).describe()).rejects.toThrow(/not found/i);
        expect(summaries).toContainEqual(expect.stringContaining('Short nap: echo woke'));
      },
      { activities },
    );
    const at = Object.fromEntries(intervals.map((i) => [i.id, i]));
    for (const task of dag.tasks)
      for (const dep of task.dependsOn) expect(at[dep].end).toBeLessThanOrEqual(at[task.id].start);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(3);
  });

  it("runs a plan bigger than 2 MB (Temporal's payload limit) across continue-as-new: the codec gzips it", async () => {
    const { intervals, activities } = recorder();
    // 250 tasks x 10 KB of input: 2.5 MB of plan JSON, carried into every new run.
    const tasks = Array.from({ length: 250 }, (_, i) => ({
      ...workTask(`t${i}`, 1),
      run: { type: 'activity' as const, name: 'work', input: { id: `t${i}`, ms: 1, note: `t${i} `.repeat(2500) } },
    }));
    const p = plan({ name: 'big', maxConcurrency: 50, defaults: { execution: 'inline' }, tasks });
    expect(JSON.stringify(p).length).toBeGreaterThan(2 * 1024 * 1024);
    await withWorker(
      async ({ client, taskQueue }) => {
        const handle = await startRun(client, p, { id: runId('big'), taskQueue, continueAsNewAfter: 100 });
        const summary = await summaryOf(handle);
        expect(summary.counts).toMatchObject({ total: 250, succeeded: 250 });
        expect((await generationsOf(client, handle.workflowId)).length).toBeGreaterThanOrEqual(3);
      },
      { activities },
    );
    expect(intervals).toHaveLength(250);
  });

  it('rejects an invalid plan inside the workflow too (histories outlive clients)', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const bad = { tasks: [{ id: 'a', dependsOn: ['a'], run: { type: 'sleep', duration: 1 } }] };
      const handle = await client.workflow.start('ptqRun', {
        workflowId: runId('invalid'),
        taskQueue,
        args: [{ plan: bad }],
      });
      await expect(summaryOf(handle)).rejects.toMatchObject({
        cause: { type: 'PlanValidationError', message: expect.stringContaining('depends on itself') },
      });
    });
  });
});

describe('runs end, and say how they ended', () => {
  it('a task cancelled from outside the run (Web UI, `temporal workflow cancel`) makes the run failed, not succeeded', async () => {
    const p = plan({
      tasks: [
        // A child, so the Web UI (and this test) can cancel the task's own workflow.
        { id: 'long', execution: 'child', run: { type: 'shell', command: ['sleep', '600'] } },
        { id: 'after', dependsOn: ['long'], run: { type: 'shell', command: ['true'] } },
        { id: 'other', run: { type: 'shell', command: ['true'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('outside'), taskQueue });
      const child = client.workflow.getHandle(`${handle.workflowId}/long`);
      await waitFor(async () => (await child.describe().catch(() => undefined))?.status.name === 'RUNNING');
      await child.cancel();
      const summary = await summaryOf(handle);
      expect(summary.status).toBe('failed');
      expect(summary.counts).toMatchObject({ cancelled: 1, skipped: 1, succeeded: 1 });
    });
  });

  it('a task workflow given input no validator checked fails the task with a message instead of hanging', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const broken = client.workflow.execute('ptqTask', {
        taskQueue,
        workflowId: runId('broken'),
        args: [{ task: { id: 'x' }, defaults: {} }],
      });
      await expect(broken).rejects.toMatchObject({
        cause: { type: 'TaskFailed', message: expect.stringContaining('ptq could not run this task') },
      });
    });
  });

  it('a run whose own workflow code throws ends Failed with the reason instead of retrying forever', async () => {
    const p = plan({ tasks: [{ id: 'a', run: { type: 'shell', command: ['true'] } }] });
    await withWorker(async ({ client, taskQueue }) => {
      // A corrupt carried state (as a bug or a hand-made input would give) breaks the orchestrator.
      const broken = client.workflow.execute('ptqRun', {
        taskQueue,
        workflowId: runId('internal'),
        args: [{ plan: p, resume: { state: { tasks: [] }, startedAt: 0, generation: 1 } }],
      });
      await expect(broken).rejects.toMatchObject({
        cause: { type: 'PtqInternalError', message: expect.stringContaining('ptq internal error') },
      });
    });
  });

  it('every plan that validate accepts starts and ends, in both execution modes (fast-check)', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      await fc.assert(
        fc.asyncProperty(validPlan, fc.constantFrom('child', 'inline'), async (input, execution) => {
          const checked = validatePlan({ ...input, defaults: { execution } });
          if (!checked.ok) throw new Error(checked.error.join('; '));
          const summary = await summaryOf(await startRun(client, checked.value, { id: runId('prop'), taskQueue }));
          expect(summary.status).toBe('succeeded');
          expect(summary.counts.succeeded).toBe(checked.value.tasks.length);
        }),
        { numRuns: 16, seed: 3 },
      );
    });
  });
});

describe('a run whose state outgrows what Temporal accepts', () => {
  it('fails with the reason at continue-as-new instead of hanging', async () => {
    // Tasks that each hand on 60 KB of incompressible JSON (under the 64 KB cap): the state keeps
    // it for their dependents, and 47 of them make the next generation's input over the limit.
    const json = 'printf \'{"r":"%s"}\' "$(head -c 45000 /dev/urandom | base64 -w0)"';
    const tasks = Array.from({ length: 48 }, (_, i) => ({
      id: `t${i}`,
      output: 'json' as const,
      run: { type: 'shell' as const, command: ['sh', '-c', json] },
    }));
    const p = plan({ defaults: { execution: 'inline' }, maxConcurrency: 8, tasks });
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, p, { id: runId('toolarge'), taskQueue, continueAsNewAfter: 47 });
      const outcome = await summaryOf(handle).then(
        (summary) => ({ summary }),
        (error: unknown) => ({ error }),
      );
      expect(outcome).toMatchObject({
        error: {
          cause: {
            type: 'StateTooLarge',
            message: expect.stringMatching(/over Temporal's 1\.94 MB payload limit, so it cannot continue as new/),
          },
        },
      });
    });
  }, 120_000);
});
