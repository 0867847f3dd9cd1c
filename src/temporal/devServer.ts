import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { ExitCode, PtqError } from '../errors';
import { SEARCH_ATTRIBUTE_FLAGS } from '../shared';
import { ensureTemporalCli } from './temporalCli';

/** How to start the local Temporal dev server. */
export interface DevServerOptions {
  /** gRPC port; 0 or unset picks a free one. */
  port?: number;
  /** Web UI port; ignored when headless. Defaults to a free port when `port` was picked. */
  uiPort?: number;
  headless?: boolean;
  /** Where the Web UI sends payloads to decode (see codecServer.ts). */
  uiCodecEndpoint?: string;
  /** SQLite file that keeps runs across restarts; in memory when unset. */
  db?: string;
  /** Namespaces to create besides `default`, with the same search attributes. */
  namespaces?: string[];
  /** Dynamic config besides LOW_LATENCY_CONFIG (the replay recorder has Temporal suggest continue-as-new early). */
  dynamicConfig?: Record<string, unknown>;
  log?: (line: string) => void;
}

/** A running dev server. */
export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Server settings for a single-shard dev server, measured in bench/ (chain hop 220ms -> 30-60ms):
 * history queues poll at most 20 times a second per shard by default, which adds up to 50ms to
 * every child start, workflow task and activity dispatch; eager activities skip matching; with
 * the default 1s timer shift, pending timers fire in batches (+60ms per sleep task; 1ms: +13ms);
 * more than 100 completions during one workflow task made the server fail it (seen at M=200).
 * The same values are in config/dynamicconfig/ptq.yaml.
 */
export const LOW_LATENCY_CONFIG: Record<string, unknown> = {
  'system.enableActivityEagerExecution': true,
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxTimeShift': '1ms',
  'history.maximumBufferedEventsBatch': 1000,
  // Priority keys and fairness keys are ignored unless matching uses its new matcher with fairness
  // (both off by default in server 1.29): runs that share workers split them by fairness key, and
  // named rate limits (temporal/limits.ts) limit each fairness key of a limit's queue.
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  // Each partition of a task queue holds 1/N of its rate: with the default 4, a limit reached half
  // its rate and let 2.5x through in a second as partitions ran dry and refilled (test/limits).
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

/**
 * Starts `temporal server start-dev` with ptq's search attributes registered and SQLite in WAL
 * mode (much faster than the default journal), waits until the default namespace answers, and
 * returns how to reach it. Used by the test suite and by `ptq dev`.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === START_ATTEMPTS) throw err;
      options.log?.(`${err.message}; starting it again`);
    }
  }
}

/**
 * The CLI picks its HTTP API, metrics and internal ports itself, by finding a free port and binding
 * it later, so another process can take one in between (seen on CI: `bind: address already in use`
 * for the HTTP API while the test suite ran). Such a start is tried again; a port the caller chose
 * is checked before starting instead.
 */
class PortTaken extends PtqError {}
const START_ATTEMPTS = 3;

async function startOnce(options: DevServerOptions): Promise<DevServer> {
  const cli = await ensureTemporalCli(options.log);
  const port = options.port || (await freePort());
  await assertPortFree(port, '--port');
  const uiPort = options.headless ? undefined : options.uiPort || (options.port ? port + 1000 : await freePort());
  if (uiPort) await assertPortFree(uiPort, '--ui-port');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push(...SEARCH_ATTRIBUTE_FLAGS);
  for (const namespace of options.namespaces ?? []) args.push('--namespace', namespace);
  if (options.db) args.push('--db-filename', options.db);
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const [key, value] of Object.entries({ ...LOW_LATENCY_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (uiPort && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);

  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // However ptq ends (`ptq dev | head -1` exits at once when head leaves), its server ends with it.
  const stopWithUs = () => child.kill('SIGTERM');
  process.once('exit', stopWithUs);
  child.once('exit', () => process.off('exit', stopWithUs));
  let stderr = '';
  // Checked as it arrives: a port taken from under the CLI can also end in a Go panic, whose stack
  // trace pushes the cause out of what is kept (CI: `ptq dev` exited with code 2).
  let portTaken = false;
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-16_000);
    portTaken ||= stderr.includes('address already in use');
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => {
      const lines = stderr.trim().split('\n');
      const why = lines.find((l) => /^panic:|level=ERROR/.test(l)) ?? lines.pop() ?? '';
      const message = `Temporal dev server exited with code ${code}: ${why}`;
      reject(portTaken ? new PortTaken(message) : new PtqError(message));
    }),
  );
  exited.catch(() => undefined);
  const address = `127.0.0.1:${port}`;
  try {
    await Promise.race([waitUntilReady(address), exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    process: child,
    stop: () => stopProcess(child),
  };
}

async function waitUntilReady(address: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new PtqError(`Temporal dev server at ${address} did not become ready: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** SIGTERM, then SIGKILL if it does not exit in time; resolves once the process is gone. */
function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function assertPortFree(port: number, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(
        new PtqError(
          `port ${port} is already in use (another \`ptq dev\` or Temporal server?)`,
          ExitCode.usage,
          `stop it or pass another ${flag}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
