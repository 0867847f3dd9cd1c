import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { keepResults } from '../src/activities/steps/kept';
import { stepFile } from '../src/activities/steps/stepJournal';
import { waitFor } from './support/processes';

/**
 * A retry of a step on another worker that shares PTQ_DATA_DIR, with the other worker played by a
 * real process holding the step's lease: the retry waits while the lease is held, then returns
 * the journaled result; a lease whose process is gone does not hold it back.
 */

const info = { attempt: 2, activityId: '7', workflowExecution: { workflowId: 'run/task', runId: 'r1' } };
const key = 'run/task\nr1\n7';

/** A process that holds `lease` (refreshing it) for `ms`, then journals `result` and lets go. */
const HOLDER = `
const fs = require('fs');
const [lease, journal, key, result, ms] = process.argv.slice(1);
fs.writeFileSync(lease, JSON.stringify({ host: ${JSON.stringify(hostname())}, pid: process.pid }));
const timer = setInterval(() => fs.utimesSync(lease, new Date(), new Date()), 200);
setTimeout(() => {
  fs.writeFileSync(journal, JSON.stringify({ key, result: JSON.parse(result) }));
  fs.unlinkSync(lease);
  clearInterval(timer);
}, Number(ms));
`;

describe('step leases', () => {
  beforeAll(() => {
    process.env.PTQ_DATA_DIR = mkdtempSync(join(tmpdir(), 'ptq-lease-'));
    mkdirSync(join(process.env.PTQ_DATA_DIR, 'steps'));
  });

  it('a retry waits while another live worker holds the lease, then returns its journaled result', async () => {
    const result = { output: 'done once', attempt: 1, worker: 'other:1' };
    const holder = spawn(process.execPath, [
      '-e',
      HOLDER,
      stepFile(key, 'lease'),
      stepFile(key, 'json'),
      key,
      JSON.stringify(result),
      '1500',
    ]);
    const exited = new Promise((r) => holder.once('exit', r));
    await waitFor(() => existsSync(stepFile(key, 'lease')));
    let ran = 0;
    const step = keepResults(async () => ++ran);
    const t0 = Date.now();
    const got = await new MockActivityEnvironment(info).run(step);
    expect(Date.now() - t0).toBeGreaterThan(800);
    expect(ran).toBe(0);
    expect(got).toMatchObject({ ...result, recovered: { how: 'journal', attempt: 2 } });
    await exited;
  });

  it('a lease left by a worker process that is gone does not hold a retry back', async () => {
    const other = { ...info, activityId: '8' };
    const holder = spawn(process.execPath, [
      '-e',
      HOLDER,
      stepFile('run/task\nr1\n8', 'lease'),
      join(tmpdir(), 'unused'),
      'x',
      'null',
      '60000',
    ]);
    await waitFor(() => existsSync(stepFile('run/task\nr1\n8', 'lease')));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    let ran = 0;
    const got = await new MockActivityEnvironment(other).run(keepResults(async () => ({ output: 'ran', n: ++ran })));
    expect(ran).toBe(1);
    expect(got).toEqual({ output: 'ran', n: 1 });
  });
});
