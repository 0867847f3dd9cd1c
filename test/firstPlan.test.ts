import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runId, withWorker } from './helpers';
import { ptq } from './support/cli';

const PLAN = join(__dirname, '..', 'examples', 'first-plan.yaml');
/** The file the example's `test` task waits for (see the README's "Your first plan"). */
const READY = '/tmp/ptq-first-plan-ready';

describe("the README's first plan, step by step", () => {
  afterAll(() => rmSync(READY, { force: true }));

  it('validates, fails with a readable reason, shows the logs, and a retry keeps what succeeded', async () => {
    rmSync(READY, { force: true });
    const validated = await ptq(['validate', PLAN]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('ok: 5 tasks, 5 edges, 4 levels');

    await withWorker(async ({ taskQueue }) => {
      const id = runId('first');
      const run = await ptq(['start', '--plan', PLAN, '--id', id, '--task-queue', taskQueue, '--wait', '--json']);
      expect(run.code).toBe(1);
      const status = Object.fromEntries(
        JSON.parse(run.stdout).tasks.map((t: { id: string; status: string }) => [t.id, t.status]),
      );
      expect(status).toEqual({
        fetch: 'succeeded',
        lint: 'succeeded',
        build: 'succeeded',
        test: 'failed',
        report: 'skipped',
      });

      const logs = await ptq(['logs', id, 'test']);
      expect(logs.stdout).toContain('tests failed: no ready file');

      writeFileSync(READY, '');
      const again = await ptq(['retry', id, '--task-queue', taskQueue, '--wait', '--json']);
      expect(again.code).toBe(0);
      const tasks = JSON.parse(again.stdout).tasks as { id: string; status: string; reason?: string }[];
      expect(tasks.every((t) => t.status === 'succeeded')).toBe(true);
      expect(tasks.find((t) => t.id === 'lint')?.reason).toContain(`kept: succeeded in ${id}`);
      expect(tasks.find((t) => t.id === 'test')?.reason ?? '').not.toContain('kept');
    });
  });
});
