import { Command } from 'commander';
import { localUiOrigins, startCodecServer } from '../../codecServer';
import { action, intOption } from '../common';

/** `ptq codec-server`: lets a cluster's Web UI (or `temporal --codec-endpoint`) show gzipped payloads. */
export function codecServerCommand(): Command {
  return new Command('codec-server')
    .description("serve ptq's payload codec to the Web UI and the Temporal CLI (Ctrl-C stops it)")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', intOption('--port', 0, 65535), 8081)
    .option('--ui-origin <origin...>', "the Web UI's origin, allowed to call from a browser", localUiOrigins(8233))
    .option('--auth-token <token>', 'require "Authorization: Bearer TOKEN" (env PTQ_CODEC_TOKEN)')
    .addHelpText(
      'after',
      [
        '',
        'Plans, states and summaries over 128 KB are gzipped; the Web UI shows them once its codec',
        'endpoint points here (Settings > Codec Server, or TEMPORAL_CODEC_ENDPOINT for the UI server).',
        '',
        'Examples:',
        '  ptq codec-server --port 8081',
        '  ptq codec-server --host 0.0.0.0 --ui-origin https://temporal.example.com --auth-token "$TOKEN"',
        '  temporal workflow show -w RUN_ID --codec-endpoint http://127.0.0.1:8081',
      ].join('\n'),
    )
    .action(
      action(async (flags: { host: string; port: number; uiOrigin: string[]; authToken?: string }) => {
        const authToken = flags.authToken ?? process.env.PTQ_CODEC_TOKEN;
        const { url, server } = await startCodecServer({ ...flags, uiOrigins: flags.uiOrigin, authToken });
        process.stderr.write(`ptq codec server: ${url} (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const)
            process.once(signal, () => server.close(() => resolve()));
        });
        process.stderr.write('ptq codec server stopped\n');
      }),
    );
}
