import { resolve } from 'node:path';
import { Command } from 'commander';
import { cleanWorktrees, runWorktrees } from '../../activities/git';
import { action, printJson } from '../common';

/** `ptq clean RUN`: removes a run's worktrees and task branches by hand (runs do it themselves). */
export function cleanCommand(): Command {
  return new Command('clean')
    .description("remove a run's git worktrees and task branches (the integration branch stays)")
    .argument('<run>', 'run id')
    .option('--repo <dir>', 'the workspace repository', '.')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nA run cleans up when it ends, also after a cancel or a worker crash; this is for runs whose\nworkers are gone for good.\n\nExample:\n  ptq clean agents-m1x2 --repo ~/src/app',
    )
    .action(
      action(async (run: string, flags: { repo: string; json?: boolean }) => {
        const removed = await cleanWorktrees(resolve(flags.repo), runWorktrees(run));
        if (flags.json) printJson({ run, removed });
        else process.stdout.write(`removed ${removed} worktree${removed === 1 ? '' : 's'} of ${run}\n`);
      }),
    );
}
