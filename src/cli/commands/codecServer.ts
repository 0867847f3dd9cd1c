import { Command, Option } from 'commander';
import { localUiOrigins, startCodecServer } from '../../temporal/codecServer';
import { readTokenFile } from '../../api/tokens';
import { action, intOption } from '../common';

interface CodecServerFlags {
  host: string;
  port: number;
  uiOrigin: string[];
  authTokenFile?: string;
  authToken?: string;
  withoutToken?: boolean;
}

/** The token from --auth-token-file or PTQ_CODEC_TOKEN; the old --auth-token still works, with a warning. */
function tokenOf(flags: CodecServerFlags): string | undefined {
  if (flags.authTokenFile) return readTokenFile(flags.authTokenFile);
  if (flags.authToken) {
    process.stderr.write('ptq: --auth-token shows the token in `ps`; use PTQ_CODEC_TOKEN or --auth-token-file\n');
    return flags.authToken;
  }
  return process.env.PTQ_CODEC_TOKEN?.trim() || undefined;
}

/** `ptq codec-server`: lets a cluster's Web UI (or `temporal --codec-endpoint`) show gzipped payloads. */
export function codecServerCommand(): Command {
  return new Command('codec-server')
    .description("serve ptq's payload codec to the Web UI and the Temporal CLI (Ctrl-C stops it)")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', intOption('--port', 0, 65535), 8081)
    .option(
      '--ui-origin <origin...>',
      "the Web UI's origin, the only one allowed to call from a browser",
      localUiOrigins(8233),
    )
    .option(
      '--auth-token-file <file>',
      'require "Authorization: Bearer TOKEN", the token read from this file (env PTQ_CODEC_TOKEN)',
    )
    .option(
      '--without-token',
      'listen beyond 127.0.0.1 without a token: only where a trusted network alone reaches the port',
    )
    .addOption(new Option('--auth-token <token>').hideHelp())
    .addHelpText(
      'after',
      [
        '',
        'Plans, states and summaries over 128 KB are gzipped; the Web UI shows them once its codec',
        'endpoint points here (Settings > Codec Server, or TEMPORAL_CODEC_ENDPOINT for the UI server).',
        'On loopback no token is needed; on any other address the server refuses to start without one',
        '(or --without-token). The Temporal CLI sends it with --codec-auth "Bearer TOKEN".',
        '',
        'Examples:',
        '  ptq codec-server --port 8081',
        '  ptq codec-server --host 0.0.0.0 --ui-origin https://temporal.example.com --auth-token-file /run/secrets/codec',
        '  temporal workflow show -w RUN_ID --codec-endpoint http://127.0.0.1:8081',
      ].join('\n'),
    )
    .action(
      action(async (flags: CodecServerFlags) => {
        const authToken = tokenOf(flags);
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
