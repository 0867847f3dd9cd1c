import { Command } from 'commander';
import { exitCodeFor } from '../../client';
import { action, addressOf, waitingClientFor, withConnection } from '../common';
import { summaryTable } from '../render';
import { watchRun } from '../watch';

/** `ptq watch ID`: live progress until the run ends; exits with the run's exit code. */
export function watchCommand(): Command {
  return withConnection(new Command('watch'))
    .description('follow a run live until it ends (plain lines when not on a terminal)')
    .argument('<id>', 'run id')
    .option('--json', 'stream task events as JSON lines, then {"event": "ended", "summary": ...}')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq watch nightly-1\n  ptq watch nightly-1 --json | jq -c \'select(.event == "failed")\'',
    )
    .action(
      action(async (id: string, flags: { json?: boolean }) => {
        const summary = await watchRun(await waitingClientFor(flags), id, {
          detachOnCtrlC: true,
          address: addressOf(flags),
          json: flags.json,
        });
        if (flags.json) process.stdout.write(`${JSON.stringify({ event: 'ended', summary })}\n`);
        else process.stdout.write(`${summaryTable(summary)}\n`);
        return exitCodeFor(summary.status);
      }),
    );
}
