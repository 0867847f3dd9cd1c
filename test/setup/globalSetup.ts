import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { BUNDLE_OPTIONS } from '../../src/temporal/workflowBundle';
import { LIMITS_NAMESPACE, LIMIT_VIEW_NAMESPACE } from '../support/namespaces';

declare global {
  var ptqDevServer: DevServer | undefined;
}

/**
 * Starts one real Temporal dev server for the whole suite and bundles the workflow code once.
 * Tests find both through environment variables.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const [server, bundle] = await Promise.all([
    startDevServer({
      headless: true,
      db: join(tmpdir(), `ptq-test-${process.pid}.db`),
      // Rate-limit tests measure one worker under a limit; a limit of `default` is polled by every test's worker.
      namespaces: [LIMITS_NAMESPACE, LIMIT_VIEW_NAMESPACE],
      log: (l) => console.log(l),
    }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      ...BUNDLE_OPTIONS,
      logger: quietLogger,
    }),
  ]);
  const bundlePath = join(tmpdir(), `ptq-workflows-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);
  globalThis.ptqDevServer = server;
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.PTQ_TEST_WORKFLOW_BUNDLE = bundlePath;
  // Maps keep their item spools and results here, not in the home directory.
  process.env.PTQ_DATA_DIR = mkdtempSync(join(tmpdir(), 'ptq-data-'));
  console.log(
    `\nTemporal dev server ready at ${server.address} (pid ${server.process.pid}) in ${Date.now() - started}ms`,
  );
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
