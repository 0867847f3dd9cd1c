import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { cleanWorktrees, runWorktrees } from '../../activities/workspace/git';
import { dataRoot } from '../../activities/map/mapFiles';
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
        let removed = 0;
        for (const root of worktreeRoots(run)) removed += await cleanWorktrees(resolve(flags.repo), root);
        if (flags.json) printJson({ run, removed });
        else process.stdout.write(`removed ${removed} worktree${removed === 1 ? '' : 's'} of ${run}\n`);
      }),
    );
}

/**
 * Where the run's worktrees are: runs/RUN/.worktrees, and for a run started before run folders
 * moved under runs/, RUN/.worktrees. Only for an id without "/" and not all dots: the old folder of
 * such an id may be another run's, or outside PTQ_DATA_DIR.
 */
function worktreeRoots(run: string): string[] {
  const earlier =
    run.includes('/') || /^\.+$/.test(run) ? [] : [join(dataRoot(), encodeURIComponent(run), '.worktrees')];
  return [runWorktrees(run), ...earlier];
}
