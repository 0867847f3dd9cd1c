import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withWorker } from './helpers';
import { ptq } from './support/cli';

/**
 * A task list where the last task of phase 1 is done: phase 2 must still wait for phase 1, both in
 * the plan `ptq import` writes and in the run `ptq start --plan tasks.md` makes of it.
 */
describe('ptq import with done tasks, against the real CLI and server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-import-done-'));
  const list = join(dir, 'tasks.md');
  writeFileSync(
    list,
    ['## Phase 1', '- [ ] T001 Build the base', '- [x] T002 Already done', '## Phase 2', '- [ ] T003 Use it', ''].join(
      '\n',
    ),
  );
  const warning =
    'warning: left out 1 task marked done (--include-done keeps them); the tasks after them still wait for what came before\n';

  it('the plan keeps the phase order through the done task, and one warning counts what was left out', async () => {
    const out = join(dir, 'plan.json');
    const r = await ptq(['import', list, '-o', out]);
    expect(r).toMatchObject({ code: 0, stderr: `${warning}wrote ${out}: 2 tasks\n` });
    const plan = JSON.parse(readFileSync(out, 'utf8')) as { tasks: Array<{ id: string; dependsOn: string[] }> };
    expect(plan.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['T001', []],
      ['T003', ['T001']],
    ]);
  });

  it('a run of the list starts phase 2 only after phase 1 ended', async () => {
    // Each task sleeps a little, so running side by side would overlap.
    const step = join(dir, 'step.json');
    writeFileSync(
      step,
      JSON.stringify({ type: 'shell', command: ['sh', '-c', 'sleep 1; echo "$ID"'], env: { ID: '{{import.id}}' } }),
    );
    await withWorker(async ({ taskQueue }) => {
      const r = await ptq([
        'start',
        '--plan',
        list,
        '--step-template',
        step,
        '--task-queue',
        taskQueue,
        '--wait',
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(warning);
      const summary = JSON.parse(r.stdout) as { tasks: Array<{ id: string; startedAt: string; endedAt: string }> };
      const [first, second] = ['T001', 'T003'].map((id) => summary.tasks.find((t) => t.id === id)!);
      expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.endedAt));
    });
  });
});
