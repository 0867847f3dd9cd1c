import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun, summaryOf } from '../src/client';
import { cancelRun } from '../src/client/control';
import { plan, runId, withWorker } from './helpers';
import { ptq, spawnPtq } from './support/cli';
import { waitFor } from './support/processes';

/** A task that prints a line, waits for `gate` to exist, then prints another (to stderr too). */
function talker(id: string, gate: string, execution: 'child' | 'inline') {
  const script = `echo "${id} one"; while [ ! -e ${gate} ]; do sleep 0.1; done; echo "${id} two"; echo "${id} warn" >&2`;
  return { id, execution, run: { type: 'shell' as const, command: ['sh', '-c', script] } };
}

/** Polls `ptq logs ARGS` until its output contains `text`. */
function logsShow(args: string[], text: string) {
  return waitFor(async () => {
    const r = await ptq(['logs', ...args]);
    return r.stdout.includes(text) ? r : undefined;
  });
}

describe('ptq logs on the real server', () => {
  it('shows a running step its output, follows every task to the end, and filters failed ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-logs-'));
    const gate = join(dir, 'go');
    const p = plan({
      tasks: [
        talker('talk', gate, 'child'),
        talker('chat', gate, 'inline'),
        { id: 'boom', run: { type: 'shell', command: ['sh', '-c', 'echo working; echo oops >&2; exit 1'] } },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const id = runId('logs');
      const handle = await startRun(client, p, { id, taskQueue });

      // While they run: what each wrote so far, a child task and an inline one.
      const talk = await logsShow([id, 'talk'], 'talk one');
      expect(talk.code).toBe(0);
      expect(talk.stdout).toBe('talk one\n');
      expect((await logsShow([id, 'chat'], 'chat one')).stdout).toBe('chat one\n');

      // The failed task's output, by RUN/TASK and with --failed.
      expect((await logsShow([`${id}/boom`], 'oops')).stdout).toContain('working');
      const failed = await ptq(['logs', id, '--failed']);
      expect(failed.stdout.trim().split('\n').sort()).toEqual(['boom | oops', 'boom | working']);

      // Follow: new lines as they come, each line once, until the run ends.
      const follower = spawnPtq(['logs', id, '-f']);
      let followed = '';
      follower.stdout?.on('data', (c: Buffer) => (followed += c.toString()));
      const exited = new Promise<number | null>((r) => follower.once('close', r));
      await waitFor(() => followed.includes('chat one') || undefined);
      writeFileSync(gate, '');
      expect(await exited).toBe(0);
      const lines = followed.trim().split('\n');
      for (const line of ['talk | talk one', 'talk | talk two', 'talk | talk warn', 'chat | chat two', 'boom | oops'])
        expect(lines.filter((l) => l === line)).toHaveLength(1);
      expect((await summaryOf(handle)).status).toBe('failed');

      // After the end: every task's output, prefixed.
      const all = await ptq(['logs', id]);
      expect(all.stdout).toContain('talk | talk two\n');
      expect(all.stdout).toContain('chat | chat warn\n');
      const json = (await ptq(['logs', id, 'talk', '--json'])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(json).toContainEqual({ task: 'talk', line: 'talk two' });
    });
  });

  it.each(['child', 'inline'] as const)('keeps the output of a %s task that was cancelled', async (execution) => {
    const p = plan({
      tasks: [
        {
          id: 'sleeper',
          execution,
          run: { type: 'shell', command: ['sh', '-c', 'echo before cancel; exec sleep 600'] },
        },
      ],
    });
    await withWorker(async ({ client, taskQueue }) => {
      const id = runId('logs-cancel');
      const handle = await startRun(client, p, { id, taskQueue });
      await logsShow([id, 'sleeper'], 'before cancel');
      await cancelRun(client, id);
      const summary = await summaryOf(handle);
      expect(summary.tasks[0].status).toBe('cancelled');
      const after = await ptq(['logs', id, 'sleeper']);
      expect(after.stdout).toBe('before cancel\n');
    });
  });

  it('names a task the run does not have, exit 2', async () => {
    const p = plan({ tasks: [{ id: 'only', run: { type: 'shell', command: ['true'] } }] });
    await withWorker(async ({ client, taskQueue }) => {
      const id = runId('logs-missing');
      await summaryOf(await startRun(client, p, { id, taskQueue }));
      const r = await ptq(['logs', id, 'nope']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`ptq: run "${id}" has no task "nope": see \`ptq status ${id}\``]);
    });
  });
});
