import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { freePort } from '../../src/temporal/devServer';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { ensureServerBinaries, SERVER_VERSION } from './binaries';

// A production-shaped Temporal cluster on this machine, without Docker: the server built from
// source, PostgreSQL from Debian in a throwaway data directory, 4 history shards, SQL visibility,
// mTLS on the frontend, and the same schema and namespace steps as docker-compose.yml (its
// config/compose scripts run here unchanged).

const ROOT = resolve(__dirname, '..', '..');
export const HISTORY_SHARDS = 4;

export interface Cluster {
  address: string;
  /** Environment for ptq and the temporal CLI alike: the address and the mTLS files. */
  env: Record<string, string>;
  certs: Certs;
  versions: { server: string; postgres: string };
  /** Stops the server process and starts it again on the same database. */
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

interface Certs {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program, as the `postgres` user when we are root (initdb refuses root). */
function pg(program: string, args: string[]): string {
  const bin = join('/usr/lib/postgresql/15/bin', program);
  return asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8' })
    : execFileSync(bin, args, { encoding: 'utf8' });
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
function makeCerts(dir: string): Certs {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=ptq-test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=ptq-${who}`,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
    );
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${who}.ext`),
      '-out',
      f(`${who}.pem`),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

/** The server's static config: PostgreSQL for persistence and visibility, ports of our own, mTLS. */
function serverConfig(p: { pgPort: number; ports: number[]; certs: Certs }): string {
  const [
    frontend,
    frontendMembership,
    http,
    history,
    historyMembership,
    matching,
    matchingMembership,
    worker,
    workerMembership,
  ] = p.ports;
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: 127.0.0.1:${p.pgPort}
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true`;
  const c = p.certs;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  tls:
    frontend:
      server:
        certFile: ${c.serverCert}
        keyFile: ${c.serverKey}
        requireClientAuth: true
        clientCaFiles: [${c.ca}]
      client:
        serverName: localhost
        rootCaFiles: [${c.ca}]
    systemWorker:
      certFile: ${c.clientCert}
      keyFile: ${c.clientKey}
      client:
        serverName: localhost
        rootCaFiles: [${c.ca}]
services:
  frontend:${service(frontend, frontendMembership)}
      httpPort: ${http}
  history:${service(history, historyMembership)}
  matching:${service(matching, matchingMembership)}
  worker:${service(worker, workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${frontend}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${join(ROOT, 'config/dynamicconfig/ptq.yaml')}
  pollInterval: 10s
`;
}

/** Runs one of docker-compose's setup scripts with our binaries under the names the image has. */
function composeScript(script: string, bin: string, env: Record<string, string>): void {
  execFileSync('/bin/sh', [join(ROOT, 'config/compose', script)], {
    env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` },
    stdio: 'pipe',
    timeout: 120_000,
  });
}

export async function startCluster(log: (line: string) => void): Promise<Cluster> {
  const bins = ensureServerBinaries(log);
  const cli = await ensureTemporalCli(log);
  const dir = mkdtempSync(join(tmpdir(), 'ptq-cluster-'));
  chmodSync(dir, 0o755);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(bins.sqlTool, join(bin, 'temporal-sql-tool'));
  symlinkSync(cli, join(bin, 'temporal'));
  const certs = makeCerts(dir);

  // PostgreSQL 15 in a data directory of its own, on a free port, trusting local connections.
  const data = join(dir, 'pg');
  mkdirSync(data);
  if (asRoot) {
    const { uid, gid } = userIds('postgres');
    chownSync(data, uid, gid);
  }
  const pgPort = await freePort();
  pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  pg('pg_ctl', [
    '-D',
    data,
    '-l',
    join(data, 'log'),
    '-w',
    '-o',
    `-p ${pgPort} -k ${data} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  execFileSync(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(pgPort),
      '-U',
      'postgres',
      '-c',
      "CREATE USER temporal WITH SUPERUSER PASSWORD 'temporal'",
    ],
    { stdio: 'pipe' },
  );
  const postgres = execFileSync(
    'psql',
    ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-tAc', 'SHOW server_version'],
    { encoding: 'utf8' },
  ).trim();
  composeScript('setup-schema.sh', bin, {
    POSTGRES_SEEDS: '127.0.0.1',
    POSTGRES_PORT: String(pgPort),
    POSTGRES_USER: 'temporal',
    POSTGRES_PWD: 'temporal',
    SCHEMA_DIR: bins.schemaDir,
  });

  const ports: number[] = [];
  for (let k = 0; k < 9; k++) ports.push(await lowPort(ports));
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'development.yaml'), serverConfig({ pgPort, ports, certs }));
  const address = `127.0.0.1:${ports[0]}`;
  const env = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
  };
  let server: ChildProcess | undefined;
  const logFile = join(dir, 'server.log');
  const startServer = async () => {
    const out = openSync(logFile, 'a');
    server = spawn(
      bins.server,
      ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
      {
        stdio: ['ignore', out, out],
      },
    );
    // register.sh waits for the cluster's health, then creates the namespace and search attributes.
    composeScript('register.sh', bin, env);
  };
  const stopServer = async () => {
    const s = server;
    if (!s || s.exitCode !== null) return;
    await new Promise<void>((done) => {
      s.once('exit', () => done());
      s.kill('SIGTERM');
      setTimeout(() => s.kill('SIGKILL'), 15_000).unref();
    });
  };
  try {
    await startServer();
  } catch (err) {
    await stopServer();
    throw new Error(
      `the Temporal server did not come up: ${(err as Error).message}\n${readFileSync(logFile, 'utf8').slice(-3_000)}`,
    );
  }
  return {
    address,
    env,
    certs,
    versions: { server: SERVER_VERSION, postgres },
    async restartServer() {
      await stopServer();
      await startServer();
    },
    async stop() {
      await stopServer();
      pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    },
  };
}

function userIds(name: string): { uid: number; gid: number } {
  const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A free port below 32768: the cluster's membership table keeps ports as a SQL smallint, and the
 * kernel's ephemeral ports (what `freePort` gets) are above it.
 */
async function lowPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.includes(port)) continue;
    const free = await new Promise<boolean>((done) => {
      const probe = createServer().once('error', () => done(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
    });
    if (free) return port;
  }
}
