import { summaryOf } from '../src/client';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../src/client';
import { plan, runId, withWorker } from './helpers';
import { git, makeRepo } from './support/gitRepo';

/**
 * A task can write git hooks into the repository's shared .git. ptq's own git (the merge that
 * brings the task's work in) runs none of them, and the run takes away what its tasks did to them.
 */
describe('git hooks a task writes', () => {
  it("ptq's merge does not run them; after the run, an added hook is gone and a changed one disabled", () =>
    withWorker(async ({ client, taskQueue }) => {
      const repo = makeRepo();
      const ran = join(mkdtempSync(join(tmpdir(), 'ptq-hooks-')), 'hook-ran');
      const hooks = join(repo, '.git', 'hooks');
      // The user's own hooks, there before the run.
      for (const name of ['pre-commit', 'pre-push']) {
        writeFileSync(join(hooks, name), '#!/bin/sh\nexit 0\n');
        chmodSync(join(hooks, name), 0o755);
      }
      const script = [
        'h=$(git rev-parse --git-common-dir)/hooks',
        'printf "#!/bin/sh\\necho ran >> %s\\n" "$0" > "$h/post-merge"',
        'chmod +x "$h/post-merge"',
        'echo "echo changed" >> "$h/pre-push"',
        'echo work > work.txt',
        'test -x "$h/post-merge" && echo installed',
      ].join('\n');
      const id = runId('hooks');
      const p = plan({
        workspace: { git: { repo } },
        tasks: [{ id: 'hooker', run: { type: 'shell', command: ['sh', '-c', script, ran] } }],
      });
      const summary = await summaryOf(await startRun(client, p, { id, taskQueue }));
      expect(summary.status).toBe('succeeded');
      expect(summary.tasks[0].output).toContain('installed');
      // The task's work was merged, with a merge commit: `git merge` would have run post-merge.
      expect(git(repo, 'show', `ptq/${id}:work.txt`)).toBe('work');
      expect(git(repo, 'log', '--merges', '--format=%s', `ptq/${id}`)).toBe('Merge hooker: hooker');
      expect(existsSync(ran)).toBe(false);
      expect(existsSync(join(hooks, 'post-merge'))).toBe(false);
      expect(statSync(join(hooks, 'pre-push')).mode & 0o111).toBe(0);
      expect(statSync(join(hooks, 'pre-commit')).mode & 0o111).toBe(0o111); // untouched
    }));
});
