import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

/**
 * Installs the SDK runtime once per process: worker logs at WARN (INFO drowns the progress view)
 * and, when asked, the SDK's Prometheus metrics on `bindAddress` (e.g. 127.0.0.1:9464).
 */
export function installRuntime(options: { metrics?: string } = {}): void {
  const debug = process.env.PTQ_LOG_LEVEL === 'debug';
  Runtime.install({
    logger: new DefaultLogger(debug ? 'DEBUG' : 'WARN', debug ? undefined : oneLine),
    telemetryOptions: options.metrics ? { metrics: { prometheus: { bindAddress: options.metrics } } } : undefined,
  });
}

/**
 * One line per log entry. A failed step is ordinary for ptq (it is retried, and the summary shows
 * it), but the SDK logs it with the whole error object and stack: 30 lines per attempt. Here it is
 * the task, the step, the attempt and the first line of the error. PTQ_LOG_LEVEL=debug shows all.
 */
export function oneLine(entry: LogEntry): void {
  const meta = entry.meta ?? {};
  const error = meta.error instanceof Error ? meta.error.message.split('\n')[0] : undefined;
  // An inline task's steps run in the run's own workflow: the task is named beside it (logTask.ts).
  const task = typeof meta.task === 'string' ? meta.task : undefined;
  const id =
    task && !String(meta.workflowId).endsWith(`/${task}`) ? `${String(meta.workflowId)}/${task}` : meta.workflowId;
  const where = [id, meta.activityType, meta.attempt && `attempt ${String(meta.attempt)}`].filter(Boolean).join(' ');
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const line = `${entry.message}${where ? ` (${where})` : ''}${error ? `: ${error}` : ''}`;
  process.stderr.write(`${time} [${entry.level}] ${line}\n`);
}
