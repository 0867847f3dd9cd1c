import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { approveCommand, rejectCommand } from './commands/approve';
import { cancelCommand } from './commands/cancel';
import { cleanCommand } from './commands/clean';
import { codecServerCommand } from './commands/codecServer';
import { completionCommand } from './commands/completion';
import { devCommand } from './commands/dev';
import { graphCommand } from './commands/graph';
import { importCommand } from './commands/import';
import { listCommand } from './commands/list';
import { pauseCommand, resumeCommand } from './commands/pause';
import { planCommand } from './commands/plan';
import { resultCommand } from './commands/result';
import { resubmitCommand, retryCommand } from './commands/retry';
import { logsCommand } from './commands/logs';
import { serveCommand } from './commands/serve';
import { scheduleCommand } from './commands/schedule';
import { schemaCommand } from './commands/schema';
import { setConcurrencyCommand } from './commands/setConcurrency';
import { limitCommand } from './commands/limit';
import { simulateCommand } from './commands/simulate';
import { startCommand } from './commands/start';
import { statusCommand } from './commands/status';
import { terminateCommand } from './commands/terminate';
import { validateCommand } from './commands/validate';
import { watchCommand } from './commands/watch';
import { workerCommand } from './commands/worker';
import { ExitCode } from '../errors';

/** Builds the `ptq` program. This file only wires commands; each lives in commands/. */
export function program(): Command {
  const root = new Command('ptq')
    .description('ptq: a durable parallel task queue on Temporal')
    .version(packageVersion(), '-V, --version', 'print the ptq version')
    .option('--verbose', 'show details (stack traces) on errors')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq dev --run examples/build-app.json   # local server + worker + a run\n  ptq start --plan plan.json --watch\n  ptq status <id> --json',
    );
  for (const cmd of [
    devCommand(),
    workerCommand(),
    codecServerCommand(),
    startCommand(),
    statusCommand(),
    watchCommand(),
    resultCommand(),
    cancelCommand(),
    terminateCommand(),
    logsCommand(),
    serveCommand(),
    retryCommand(),
    resubmitCommand(),
    pauseCommand(),
    resumeCommand(),
    setConcurrencyCommand(),
    limitCommand(),
    listCommand(),
    validateCommand(),
    importCommand(),
    graphCommand(),
    simulateCommand(),
    schemaCommand(),
    scheduleCommand(),
    planCommand(),
    approveCommand(),
    cleanCommand(),
    rejectCommand(),
    completionCommand(() => root),
  ]) {
    root.addCommand(cmd);
  }
  forEachCommand(root, (cmd) =>
    cmd.showHelpAfterError('(add --help for usage)').exitOverride((err) => process.exit(usageExit(err.exitCode))),
  );
  return root;
}

/** Commander settings do not reach commands added with addCommand: apply them to every level. */
function forEachCommand(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, fn);
}

/** Help and --version exit 0; every mistake in the command line exits 2, at every level. */
function usageExit(code: number): number {
  return code === 0 ? 0 : ExitCode.usage;
}

/** The version in package.json (the same file from src/ and dist/). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * `ptq logs RUN | head -1`: once the reader has what it wants and closes the pipe, the next write
 * fails with EPIPE. That is the reader's choice, not an error: end at once, quietly, with 0.
 */
function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(ExitCode.ok);
  });
}

/** Entry point of bin/ptq.js. */
export function main(argv: string[]): void {
  endQuietlyOnClosedStdout();
  program()
    .parseAsync(argv)
    .catch((err: Error) => {
      process.stderr.write(`ptq: ${err.message}\n`);
      process.exitCode = ExitCode.usage;
    });
}
