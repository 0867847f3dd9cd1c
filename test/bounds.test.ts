import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectClient, startRun, summaryOf } from '../src/client';
import { dataConverter } from '../src/temporal/codec';
import type { PlanInput } from '../src/core';
import { plan, runId } from './helpers';
import { ptq } from './support/cli';
import { ledgerProblems, ledgerTask, readLedger } from './support/ledger';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * Issue 28, items 1-3 on the real server: plans that used to hang a run (`levels` with `finally`),
 * crash the worker (a costly condition) or time out the first workflow task forever (the overlap
 * of 1,000 tasks' `files`), each run on a `ptq worker` process beside an unrelated run. A ledger
 * written by the unrelated run's tasks shows each of them ran exactly once, and the worker is
 * still up at the end.
 */
jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'ptq-bounds-'));
const sleep = (ms: number) => ({ type: 'sleep' as const, duration: ms });

/** Three ledger tasks of about 1 s: the run beside the hostile one. */
function unrelated(ledger: string) {
  const ids = ['u1', 'u2', 'u3'];
  return { ids, plan: plan({ name: 'unrelated', tasks: ids.map((id) => ledgerTask(id, ledger, 10)) }) };
}

describe('hostile plans beside an unrelated run (issue 28)', () => {
  let worker: WorkerProcess | undefined;
  let client: Client;
  let queue: string;
  beforeEach(async () => {
    queue = `bounds-${randomUUID()}`;
    worker = await startWorkerProcess(queue);
    client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
  });
  afterEach(async () => {
    worker?.child.kill('SIGKILL');
    await client.connection.close();
  });

  /** Runs `hostile` and the unrelated plan at once; checks the ledger and the worker; returns the hostile run's summary. */
  async function beside(hostile: PlanInput, id: string) {
    const ledger = join(dir, `${id}.ledger`);
    const other = unrelated(ledger);
    const handle = await startRun(client, plan(hostile), { id: runId(id), taskQueue: queue });
    const otherHandle = await startRun(client, other.plan, { id: runId(`${id}-unrelated`), taskQueue: queue });
    const [summary, otherSummary] = await Promise.all([summaryOf(handle), summaryOf(otherHandle)]);
    expect(otherSummary.status).toBe('succeeded');
    expect(ledgerProblems(readLedger(ledger), other.ids)).toEqual([]);
    expect(worker?.child.exitCode).toBeNull();
    expect(worker?.stderr()).not.toMatch(/async hook|timed out|deadlock/i);
    return { summary, handle };
  }

  it('levels + finally + a dependency chain runs every task, finally last (it stayed at 1/3 before)', async () => {
    const { summary } = await beside(
      {
        policy: 'levels',
        tasks: [
          { id: 'a', run: sleep(50) },
          { id: 'b', dependsOn: ['a'], run: sleep(50) },
        ],
        finally: [{ id: 'f', run: sleep(50) }],
      },
      'levels-finally',
    );
    expect(summary.status).toBe('succeeded');
    const at = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
    expect(Object.values(at).map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(Date.parse(at.f.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(at.b.endedAt as string));
  });

  it('a condition over its step budget fails its task with one line, the same on replay; the worker stays up', async () => {
    // Passes validate (3 nested comprehensions over a list known only at run time), then meets
    // 300³ = 27 million steps: the evaluator stops it at 100,000.
    const list = JSON.stringify(Array.from({ length: 300 }, (_, i) => i));
    const { summary, handle } = await beside(
      {
        tasks: [
          { id: 'a', output: 'json', run: { type: 'shell', command: ['echo', list] } },
          {
            id: 'b',
            dependsOn: ['a'],
            when: 'tasks.a.json.all(x, tasks.a.json.all(y, tasks.a.json.all(z, true)))',
            run: sleep(10),
          },
          { id: 'c', dependsOn: ['a'], when: 'tasks.a.json.size() == 300', run: sleep(10) },
        ],
      },
      'cel-budget',
    );
    const b = summary.tasks.find((t) => t.id === 'b');
    expect(b?.status).toBe('failed');
    expect(b?.error).toMatch(/^condition failed: over its budget of 100000 steps .*\(in: when /);
    expect(b?.error).not.toContain('\n');
    expect(summary.tasks.find((t) => t.id === 'c')?.status).toBe('succeeded');
    // The bound is counted, not timed: the recorded history replays to the same decisions.
    const history = await handle.fetchHistory();
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: process.env.PTQ_TEST_WORKFLOW_BUNDLE as string }, dataConverter },
        history,
        handle.workflowId,
      ),
    ).resolves.toBeUndefined();
  });

  it('the issue’s condition (6 nested all over 20 items), started without the CLI, fails its run at the check with one line', async () => {
    const l = `[${Array.from({ length: 20 }, (_, i) => i).join(', ')}]`;
    const handle = await startRun(
      client,
      plan({
        tasks: [
          { id: 'a', run: sleep(10) },
          {
            id: 'b',
            dependsOn: ['a'],
            when: `${l}.all(a, ${l}.all(b, ${l}.all(c, ${l}.all(d, ${l}.all(e, ${l}.all(f, true))))))`,
            run: sleep(10),
          },
        ],
      }),
      { id: runId('cel-hostile'), taskQueue: queue },
    );
    const failure = await handle.result().then(
      () => undefined,
      (err: WorkflowFailedError) => err.cause?.message,
    );
    expect(failure).toBe('task "b": when: comprehensions nest 6 deep, more than 3: flatten the condition');
    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(worker?.child.exitCode).toBeNull();
  });

  it('1,000 tasks with two globs each start and finish (the first workflow task timed out before); overlapping ones never overlap', async () => {
    const tasks = Array.from({ length: 1_000 }, (_, i) => ({
      id: `t${i}`,
      // One task in ten also edits its neighbour's docs.
      files: [`src/pkg${i % 100}/mod${i}/*.ts`, `docs/mod${i % 10 === 0 && i > 0 ? i - 1 : i}/*.md`],
      run: sleep(1),
    }));
    const { summary } = await beside({ maxConcurrency: 50, tasks }, 'files-1000');
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.succeeded).toBe(1_000);
    const byId = Object.fromEntries(summary.tasks.map((t) => [t.id, t]));
    for (let i = 10; i < 1_000; i += 10) {
      const [x, y] = [byId[`t${i - 1}`], byId[`t${i}`]];
      const apart =
        Date.parse(x.endedAt as string) <= Date.parse(y.startedAt as string) ||
        Date.parse(y.endedAt as string) <= Date.parse(x.startedAt as string);
      expect([`t${i - 1}`, `t${i}`, apart]).toEqual([`t${i - 1}`, `t${i}`, true]);
    }
  });
});

describe('validate and simulate (issue 28, items 1, 2, 6, 7)', () => {
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it('simulate plays levels + finally + a chain, and every policy of the shipped pipeline example', async () => {
    const chain = file('chain.json', {
      policy: 'levels',
      tasks: [
        { id: 'a', run: sleep(1000) },
        { id: 'b', dependsOn: ['a'], run: sleep(1000) },
      ],
      finally: [{ id: 'f', run: sleep(1000) }],
    });
    const r = await ptq(['simulate', chain]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/levels +makespan +3\.0s +ratio 1\.000/);
    const example = await ptq(['simulate', join(__dirname, '..', 'examples', 'pipeline.yaml')]);
    expect(example.code).toBe(0);
    expect(example.stdout).toMatch(/levels +makespan/);
  });

  it('validate refuses the costly condition with one line, and the hostile regex', async () => {
    const l = `[${Array.from({ length: 20 }, (_, i) => i).join(', ')}]`;
    const path = file('cel.json', {
      tasks: [
        { id: 'a', run: sleep(10) },
        { id: 'b', dependsOn: ['a'], when: `${l}.all(a, ${l}.all(b, ${l}.all(c, ${l}.all(d, true))))`, run: sleep(10) },
        { id: 'c', dependsOn: ['a'], when: 'tasks.a.output.matches("(a+)+$")', run: sleep(10) },
      ],
    });
    const r = await ptq(['validate', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${path}: task "b": when: comprehensions nest 4 deep, more than 3: flatten the condition`,
      `${path}: task "c": when: matches("(a+)+$"): a repeated group that repeats inside can take exponential time: repeat one or the other`,
    ]);
  });

  it('validate checks what conditions read: the task and the field, one line each', async () => {
    const path = file('refs.json', {
      tasks: [
        { id: 'a', run: sleep(10) },
        { id: 'b', dependsOn: ['a'], run: sleep(10) },
        { id: 'c', dependsOn: ['b'], when: 'tasks.a.status == "succeeded"', run: sleep(10) },
        { id: 'd', dependsOn: ['b'], when: 'tasks.b.json.ok', run: sleep(10) },
        { id: 'e', dependsOn: ['b'], when: 'tasks.b.outptu == ""', run: sleep(10) },
      ],
    });
    const r = await ptq(['validate', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${path}: task "c": when: tasks.a.status: task "a" is not a dependency of "c", so its condition cannot see it: add it to dependsOn`,
      `${path}: task "d": when: tasks.b.json: task "b" has no JSON output: set "output": "json" on it`,
      `${path}: task "e": when: tasks.b.outptu: a task has status, output, json, not "outptu"`,
    ]);
  });

  it('validate and simulate never show a lower bound above the schedule: conditions and finally', async () => {
    const when = file('when.json', {
      tasks: [
        { id: 'a', run: sleep(1000) },
        { id: 'b', dependsOn: ['a'], when: 'tasks.a.output == "x"', run: sleep(1000) },
        { id: 'c', dependsOn: ['b'], run: sleep(1000) },
      ],
    });
    expect((await ptq(['validate', when])).stdout).toContain(
      'schedule 3.0s (critical-path) if every when holds, lower bound 3.0s, 1.000x',
    );
    const final = file('finally.json', {
      maxConcurrency: 2,
      tasks: [{ id: 'a', run: sleep(1000) }],
      finally: [{ id: 'f', run: sleep(1000) }],
    });
    expect((await ptq(['validate', final])).stdout).toContain(
      'schedule 2.0s (critical-path), lower bound 2.0s, 1.000x',
    );
    const sim = JSON.parse((await ptq(['simulate', final, '--json'])).stdout);
    expect(sim.lowerBoundMs).toBe(2000);
    for (const p of Object.values(sim.policies) as Array<{ makespanMs: number; ratio: number }>) {
      expect(p.makespanMs).toBeGreaterThanOrEqual(sim.lowerBoundMs);
      expect(p.ratio).toBe(1);
    }
  });
});
