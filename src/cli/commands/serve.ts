import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Command } from 'commander';
import { createApi } from '../../api/app';
import { PtqError } from '../../errors';
import { DEFAULT_TASK_QUEUE } from '../../shared';
import { readTokenFile } from '../../api/tokens';
import { action, clientFor, intOption, withConnection } from '../common';

interface ServeFlags {
  host: string;
  port: number;
  tokenFile?: string;
  taskQueue: string;
  maxBodyKb: number;
}

/** The token from the file or `PTQ_API_TOKEN`; else a new one, shown once. */
function tokenOf(flags: ServeFlags): { token: string; generated: boolean } {
  if (flags.tokenFile) return { token: readTokenFile(flags.tokenFile), generated: false };
  const env = process.env.PTQ_API_TOKEN?.trim();
  return env ? { token: env, generated: false } : { token: randomBytes(24).toString('base64url'), generated: true };
}

/** `ptq serve`: the HTTP API. */
export function serveCommand(): Command {
  return withConnection(new Command('serve'))
    .description('serve an HTTP API and a dashboard to start, follow and control runs (Ctrl-C stops it)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', intOption('--port', 0, 65535), 8090)
    .option(
      '--token-file <file>',
      'the bearer token requests must carry (env PTQ_API_TOKEN; default: a new one, printed)',
    )
    .option('--task-queue <queue>', 'task queue of runs started without one', DEFAULT_TASK_QUEUE)
    .option(
      '--max-body-kb <n>',
      'largest request body, in KB (larger ones get 413)',
      intOption('--max-body-kb', 1, 1 << 20),
      1024,
    )
    .addHelpText(
      'after',
      [
        '',
        'Routes (OpenAPI at /openapi.json): POST /runs, GET /runs, GET /runs/{id},',
        'GET /runs/{id}/tasks/{task}, POST /runs/{id}/cancel|pause|resume|concurrency,',
        'GET /runs/{id}/events (Server-Sent Events, as `ptq watch --json`).',
        'The dashboard is at /ui/: open /ui/?access_token=TOKEN once, or type the token in.',
        '',
        'The token lets its holder start runs: their steps run commands on the workers, as the',
        "workers' user. Give it only to whoever may do that.",
        '',
        'Examples:',
        '  ptq serve --token-file ~/.config/ptq/token',
        '  curl -H "Authorization: Bearer $(cat ~/.config/ptq/token)" localhost:8090/runs',
        '  curl -N -H "Authorization: Bearer $TOKEN" localhost:8090/runs/nightly-1/events',
      ].join('\n'),
    )
    .action(
      action(async (flags: ServeFlags) => {
        const { token, generated } = tokenOf(flags);
        const client = await clientFor(flags);
        const app = createApi(client, { token, taskQueue: flags.taskQueue, maxBodyBytes: flags.maxBodyKb * 1024 });
        const server = serve({ fetch: app.fetch, hostname: flags.host, port: flags.port });
        await new Promise<void>((resolve, reject) => {
          server.once('listening', resolve);
          server.once('error', (err: NodeJS.ErrnoException) =>
            reject(
              err.code === 'EADDRINUSE'
                ? new PtqError(`port ${flags.port} is in use`, undefined, 'pick another with --port')
                : err,
            ),
          );
        });
        const { port } = server.address() as AddressInfo;
        process.stderr.write(
          `ptq API on http://${flags.host}:${port} (OpenAPI at /openapi.json, dashboard at /ui/; Ctrl-C to stop)\n`,
        );
        if (generated) process.stderr.write(`token: ${token}  (choose your own with --token-file or PTQ_API_TOKEN)\n`);
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const)
            process.once(signal, () => server.close(() => resolve()));
        });
        await client.connection.close();
        process.stderr.write('ptq API stopped\n');
      }),
    );
}
