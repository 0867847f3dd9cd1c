import { summaryOf } from '../src/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient, startRun } from '../src/client';
import { plan, runId } from './helpers';
import { startWorkerProcess, type WorkerProcess } from './support/workers';

/**
 * The worker holds its secrets in memory, not in its environment: no step finds them in /proc,
 * neither in the worker's environ nor in a helper's, and a step's own secret is in that step only.
 * Every value below has "canary" in it; each is looked for in every environ a step can read.
 */
jest.setTimeout(120_000);

const KEY = `sk-canary-${randomUUID()}`;
const PASSWORD = `pw-canary-${randomUUID()}`;
const ALLOWED = `allowed-canary-${randomUUID()}`;
/** Kept in the worker's environment (PTQ_*): found by a step exactly when it can read that environ. */
const MARK = `mark-${randomUUID()}`;
const WORKER_ENV = {
  OPENAI_API_KEY: KEY,
  DB_URL: `postgres://app:${PASSWORD}@db.internal/app`,
  PTQ_SECRETS: 'PTQ_TEST_ALLOWED_TOKEN',
  PTQ_TEST_ALLOWED_TOKEN: ALLOWED,
  PTQ_TEST_MARK: MARK,
};

/**
 * Waits for the file $0, then reads every environ it may, its parent's too (the worker, unless a
 * namespace hides it), into $1, and counts what it found.
 */
const SCAN = [
  'while [ ! -e "$0" ]; do sleep 0.05; done',
  'for f in /proc/[0-9]*/environ /proc/$PPID/environ; do cat "$f" 2>/dev/null | tr "\\0" "\\n"; done > "$1"',
  'echo "read=$(wc -l < "$1") worker=$(grep -c ^PTQ_TEST_MARK=mark- "$1")"',
  'echo "key=$(grep -c sk-canary "$1") password=$(grep -c pw-canary "$1") allowed=$(grep -c allowed-canary "$1")"',
].join('\n');

/** Every environ on the machine that holds a canary, as the test (outside any namespace) reads them. */
function environsWithCanary(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if ([KEY, PASSWORD, ALLOWED].some((v) => env.includes(v))) found.push(pid);
    } catch {
      continue; // gone meanwhile
    }
  }
  return found;
}

describe("the worker's secrets", () => {
  const workers: WorkerProcess[] = [];
  afterEach(() => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  });

  it.each([
    ['pid-namespace', 'steps run in their own PID namespace'],
    ['process-group', 'warning: steps run in process groups only'],
  ])('a step that names no secret finds none in any environ it can read (%s)', async (mode, startLine) => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-secrets-'));
    const queue = `secrets-${randomUUID()}`;
    const worker = await startWorkerProcess(queue, [], { ...WORKER_ENV, PTQ_CONTAINMENT: mode });
    workers.push(worker);
    expect(worker.stderr()).toContain(startLine);
    expect(worker.stderr()).toMatch(/worker environment: \d+ variables held in memory/);
    expect(environsWithCanary()).toEqual([]); // not the worker's, nor its reaper's
    // A step given the allowed secret runs beside the scan: in a namespace, its environ is its own.
    // Under process groups, a step could read a concurrent step's environ (the README says so).
    const holder = {
      id: 'holder',
      run: {
        type: 'shell' as const,
        command: ['sh', '-c', 'echo "token=$PTQ_TEST_ALLOWED_TOKEN"; touch "$0"; sleep 2', join(dir, 'holder-up')],
        secrets: ['PTQ_TEST_ALLOWED_TOKEN'],
      },
    };
    const withHolder = mode === 'pid-namespace';
    const waitFor = withHolder ? join(dir, 'holder-up') : dir;
    const scan = {
      id: 'scan',
      run: { type: 'shell' as const, command: ['sh', '-c', SCAN, waitFor, join(dir, 'all')] },
    };
    const tasks = withHolder ? [holder, scan] : [scan];
    const client = await connectClient({ address: process.env.TEMPORAL_ADDRESS });
    const summary = await summaryOf(
      await startRun(client, plan({ tasks }), { id: runId('environ'), taskQueue: queue }),
    );
    await client.connection.close();
    expect(summary.status).toBe('succeeded');
    const out = summary.tasks.find((t) => t.id === 'scan')?.output ?? '';
    expect(out).toContain('key=0 password=0 allowed=0');
    const read = Number(/read=(\d+)/.exec(out)?.[1]);
    expect(read).toBeGreaterThan(3); // it did read environs: its own at least
    // Under process groups the worker's environ is there to read, and holds none of them.
    const fromWorker = Number(/worker=(\d+)/.exec(out)?.[1]);
    expect(fromWorker > 0).toBe(mode === 'process-group');
    if (withHolder) expect(summary.tasks.find((t) => t.id === 'holder')?.output).toContain('token=***');
  });
});
