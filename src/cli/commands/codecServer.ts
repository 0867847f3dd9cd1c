import { Command } from 'commander';
import { startCodecServer } from '../../codecServer';
import { action, intOption } from '../common';

/** `ptq codec-server`: lets a cluster's Web UI (or `temporal --codec-endpoint`) show gzipped payloads. */
export function codecServerCommand(): Command {
  return new Command('codec-server')
    .description("serve ptq's payload codec to the Web UI and the Temporal CLI (Ctrl-C stops it)")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', intOption('--port', 0, 65535), 8081)
    .addHelpText(
      'after',
      [
        '',
        'Plans, states and summaries over 128 KB are gzipped; the Web UI shows them once its codec',
        'endpoint points here (Settings > Codec Server, or TEMPORAL_CODEC_ENDPOINT for the UI server).',
        '',
        'Examples:',
        '  ptq codec-server --port 8081',
        '  temporal workflow show -w RUN_ID --codec-endpoint http://127.0.0.1:8081',
      ].join('\n'),
    )
    .action(
      action(async (flags: { host: string; port: number }) => {
        const { url, server } = await startCodecServer(flags);
        process.stderr.write(`ptq codec server: ${url} (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const)
            process.once(signal, () => server.close(() => resolve()));
        });
        process.stderr.write('ptq codec server stopped\n');
      }),
    );
}
