import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * Installs the SDK runtime once per process: worker logs at WARN (INFO drowns the progress view)
 * and, when asked, the SDK's Prometheus metrics on `bindAddress` (e.g. 127.0.0.1:9464).
 */
export function installRuntime(options: { metrics?: string } = {}): void {
  Runtime.install({
    logger: new DefaultLogger(process.env.PTQ_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
    telemetryOptions: options.metrics ? { metrics: { prometheus: { bindAddress: options.metrics } } } : undefined,
  });
}
