import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '../src/core';
import { runId, withWorker } from './helpers';
import { ptq } from './support/cli';

/** `ptq retry` and `ptq resubmit`, through the real CLI, on the real server. */
describe('retry and resubmit', () => {
  it('retry runs only what did not succeed (and what follows), keeping outputs; --from and resubmit run more', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-retry-'));
    const runs = (task: string) =>
      existsSync(join(dir, task)) ? readFileSync(join(dir, task), 'utf8').trim().split('\n').length : 0;
    // Each task counts its runs in a file; "flaky" fails until the file "ok" exists.
    const counted = (task: string, script: string, ...args: string[]) => ({
      type: 'shell',
      command: ['sh', '-c', `echo x >> "$0/${task}"; ${script}`, dir, ...args],
    });
    const planFile = join(dir, 'plan.json');
    writeFileSync(
      planFile,
      JSON.stringify({
        name: 'nightly',
        defaults: { retry: { maximumAttempts: 1 } },
        tasks: [
          { id: 'gen', run: counted('gen', 'echo forty-one') },
          {
            id: 'flaky',
            dependsOn: ['gen'],
            run: counted(
              'flaky',
              'test -f "$0/ok" || { echo "not yet" >&2; exit 1; }; echo "got $1"',
              '{{tasks.gen.output}}',
            ),
          },
          { id: 'after', dependsOn: ['flaky'], run: counted('after', 'echo after') },
          { id: 'side', run: counted('side', 'echo side') },
        ],
      }),
    );
    await withWorker(async ({ taskQueue }) => {
      const json = async (args: string[]) => {
        const r = await ptq([...args, '--task-queue', taskQueue, '--wait', '--json']);
        return JSON.parse(r.stdout) as RunSummary;
      };
      const byId = (s: RunSummary) => Object.fromEntries(s.tasks.map((t) => [t.id, t]));
      const first = await json(['start', '--plan', planFile, '--id', runId('nightly')]);
      expect(first.status).toBe('failed');
      expect(byId(first).after.status).toBe('skipped');

      writeFileSync(join(dir, 'ok'), '');
      const retried = await json(['retry', first.id]);
      expect(retried).toMatchObject({ status: 'succeeded', retryOf: first.id });
      expect(byId(retried).gen).toMatchObject({ status: 'succeeded', reason: `kept: succeeded in ${first.id}` });
      expect(byId(retried).flaky.output?.trim()).toBe('got forty-one'); // the kept output flowed in
      expect([runs('gen'), runs('side'), runs('flaky'), runs('after')]).toEqual([1, 1, 2, 1]);

      const nothing = await ptq(['retry', retried.id, '--task-queue', taskQueue]);
      expect(nothing.code).toBe(2);
      expect(nothing.stderr.trim()).toBe(
        `ptq: run "${retried.id}" succeeded: every task succeeded, so there is nothing to retry: re-run part of it with --from TASK, or all of it with ptq resubmit`,
      );
      const unknown = await ptq(['retry', first.id, '--from', 'nope', '--task-queue', taskQueue]);
      expect([unknown.code, unknown.stderr.trim()]).toEqual([2, 'ptq: --from nope: the plan has no task "nope"']);

      const from = await json(['retry', retried.id, '--from', 'flaky']);
      expect(from.status).toBe('succeeded');
      expect([runs('gen'), runs('side'), runs('flaky'), runs('after')]).toEqual([1, 1, 3, 2]);

      const again = await json(['resubmit', first.id]);
      expect(again.status).toBe('succeeded');
      expect(again.retryOf).toBeUndefined();
      expect([runs('gen'), runs('side'), runs('flaky'), runs('after')]).toEqual([2, 2, 4, 3]);
    });
  });
});
