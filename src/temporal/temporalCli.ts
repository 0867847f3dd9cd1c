import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { TemporalCliMissingError } from '../errors';
import { workerEnv } from '../workerSecrets';

/** The Temporal CLI release ptq is tested with (embeds server 1.29.1 and the Web UI). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const DOWNLOAD_TIMEOUT_MS = 15_000;
const run = promisify(execFile);

/** Where ptq keeps the binaries it installs: `$PTQ_CACHE_DIR`, or `.cache/` in the project (gitignored). */
export function cacheDir(): string {
  return process.env.PTQ_CACHE_DIR ?? join(projectRoot(), '.cache');
}

function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * Finds the `temporal` binary or installs it, in this order: `$TEMPORAL_CLI_PATH` or PATH; the
 * cache; the official release download; `go install` from source. Says what it is doing, because
 * the Go build can take minutes.
 */
export async function ensureTemporalCli(log: (line: string) => void = (l) => console.error(l)): Promise<string> {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new TemporalCliMissingError(`TEMPORAL_CLI_PATH=${explicit} does not exist`);
    return explicit;
  }
  const onPath = spawnSync('temporal', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'temporal';

  const binDir = join(cacheDir(), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const cached = join(binDir, 'temporal');
  if (existsSync(cached)) return cached;
  mkdirSync(binDir, { recursive: true });

  const failures: string[] = [];
  log(`ptq: Temporal CLI not found; downloading v${TEMPORAL_CLI_VERSION}...`);
  try {
    await download(binDir);
    if (existsSync(cached)) return cached;
  } catch (err) {
    failures.push(`download: ${(err as Error).message}`);
    log(`ptq: download failed (${(err as Error).message}); building from source with Go (takes a few minutes)...`);
  }
  try {
    const started = Date.now();
    await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      // Go's own settings (GOPROXY, GOFLAGS...) may be among what a worker holds; the build runs before any step.
      env: { ...workerEnv(), GOTOOLCHAIN: 'local', GOBIN: binDir },
      maxBuffer: 64 * 1024 * 1024,
    });
    log(
      `ptq: built Temporal CLI v${TEMPORAL_CLI_VERSION} in ${Math.round((Date.now() - started) / 1000)}s -> ${cached}`,
    );
    return cached;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    failures.push(
      e.code === 'ENOENT' ? 'go install: Go is not installed' : `go install: ${lastLine(e.stderr ?? e.message)}`,
    );
  }
  throw new TemporalCliMissingError(failures.join('; '));
}

async function download(binDir: string): Promise<void> {
  const os = platform() === 'darwin' ? 'darwin' : 'linux';
  const cpu = arch() === 'arm64' ? 'arm64' : 'amd64';
  const url = `https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=${os}&arch=${cpu}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) }).catch((e: Error) => {
    throw new Error((e.cause as Error | undefined)?.message ?? e.message);
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const archive = join(tmpdir(), `temporal-cli-${process.pid}.tar.gz`);
  writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
  await run('tar', ['-xzf', archive, '-C', binDir, 'temporal']);
  chmodSync(join(binDir, 'temporal'), 0o755);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? text;
}
