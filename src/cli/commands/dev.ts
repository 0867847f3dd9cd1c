import { Command } from 'commander';
import { connectClient, exitCodeFor, runLink, startRun } from '../../client';
import { localUiOrigins, startCodecServer } from '../../temporal/codecServer';
import { startDevServer } from '../../temporal/devServer';
import { loadPlanFile } from '../../planFile';
import { installRuntime } from '../../temporal/runtime';
import { createWorker } from '../../worker';
import { recordWebUi } from '../../client/webUi';
import { action, intOption } from '../common';
import { summaryTable } from '../render';
import { watchRun } from '../watch';
import { isolateWorker } from '../workerIsolation';
import { describeBrowserPool } from '../../activities/steps/browserPool';

interface DevFlags {
  port: number;
  uiPort?: number;
  db?: string;
  headless?: boolean;
  run?: string;
  exit?: boolean;
}

/**
 * `ptq dev`: a local Temporal dev server and a worker in one command, for trying ptq and for
 * development. With --run it also starts a plan and shows it to the end.
 */
export function devCommand(): Command {
  return new Command('dev')
    .description('start a local Temporal dev server (with Web UI) and a worker')
    .option('--port <port>', 'gRPC port', intOption('--port', 1, 65535), 7233)
    .option('--ui-port <port>', 'Web UI port (default: port + 1000)', intOption('--ui-port', 1, 65535))
    .option('--db <file>', 'SQLite file so runs survive a restart (default: in memory)')
    .option('--headless', 'no Web UI')
    .option('--run <plan>', 'also start this plan and watch it')
    .option('--exit', 'with --run: stop everything once the run ends')
    .addHelpText('after', '\nExamples:\n  ptq dev\n  ptq dev --db ptq.db --run examples/build-app.json')
    .action(
      action(async (flags: DevFlags) => {
        const plan = flags.run ? loadPlanFile(flags.run) : undefined;
        const log = (line: string) => process.stderr.write(`${line}\n`);
        // First, so neither the dev server nor the worker's steps inherit the secrets.
        const isolation = isolateWorker();
        installRuntime();
        // The Web UI decodes payloads that ptq gzipped (big plans) through this codec server.
        const uiPort = flags.uiPort ?? flags.port + 1000;
        const codec = flags.headless ? undefined : await startCodecServer({ uiOrigins: localUiOrigins(uiPort) });
        codec?.server.unref();
        const server = await startDevServer({ ...flags, uiPort, uiCodecEndpoint: codec?.url, log });
        process.env.TEMPORAL_ADDRESS = server.address;
        let code: number | undefined;
        try {
          const client = await connectClient({ address: server.address });
          // Every command that talks to this server links to this UI, or prints no link without one.
          await recordWebUi(client, server.uiUrl);
          const worker = await createWorker({ address: server.address });
          log(isolation);
          log(describeBrowserPool());
          log(
            `Temporal dev server: ${server.address} (in another terminal: export TEMPORAL_ADDRESS=${server.address})`,
          );
          log(server.uiUrl ? `Web UI: ${server.uiUrl}` : 'Web UI: off (--headless)');
          const running = worker.run();
          if (plan) {
            const handle = await startRun(client, plan);
            const link = await runLink(client, handle.workflowId);
            log(`started ${handle.workflowId}${link ? `\n${link}` : ''}`);
            const summary = await watchRun(client, handle.workflowId);
            process.stdout.write(`${summaryTable(summary)}\n${link ? `\nSee it in the Web UI: ${link}\n` : ''}`);
            code = exitCodeFor(summary.status);
          }
          await client.connection.close();
          if (!flags.exit) log('ptq dev is running; Ctrl-C to stop');
          if (flags.exit) worker.shutdown();
          await running;
        } finally {
          await server.stop();
          log('ptq dev stopped');
        }
        return code;
      }),
    );
}
