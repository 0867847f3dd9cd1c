import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../src/temporal/temporalCli';

/** The Temporal server release the cluster test runs (the one the dev server of CLI 1.5.1 embeds). */
export const SERVER_VERSION = '1.29.1';

export interface ServerBinaries {
  server: string;
  sqlTool: string;
  /** Temporal's SQL schemas: `postgresql/v12/{temporal,visibility}/versioned`. */
  schemaDir: string;
}

/**
 * The Temporal server and its SQL schema tool, built from source with `go install` once and kept in
 * the cache with the schemas they ship (no container images reach this machine). The build takes a
 * few minutes the first time, seconds after that from Go's own build cache.
 */
export function ensureServerBinaries(log: (line: string) => void): ServerBinaries {
  const dir = join(cacheDir(), `temporal-server-${SERVER_VERSION}`);
  const found: ServerBinaries = {
    server: join(dir, 'server'),
    sqlTool: join(dir, 'sql'),
    schemaDir: join(dir, 'schema'),
  };
  if (existsSync(found.server) && existsSync(found.sqlTool) && existsSync(found.schemaDir)) return found;
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod' };
  for (const pkg of ['cmd/server', 'cmd/tools/sql']) {
    log(`cluster: go install go.temporal.io/server/${pkg}@v${SERVER_VERSION} (minutes the first time)`);
    execFileSync('go', ['install', `go.temporal.io/server/${pkg}@v${SERVER_VERSION}`], {
      env,
      stdio: 'inherit',
      cwd: dir,
    });
  }
  const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  cpSync(join(modCache, `go.temporal.io/server@v${SERVER_VERSION}`, 'schema'), found.schemaDir, { recursive: true });
  return found;
}
