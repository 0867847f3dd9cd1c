import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type UserActivity } from './activities';
import { dataConverter } from './temporal/codec';
import { connectionSettings, type ConnectionFlags } from './temporal/connection';
import { containment } from './activities/steps/containment';
import { poolSettings } from './activities/steps/browserPool';
import { logTaskInterceptor } from './activities/steps/logTask';
import { DEFAULT_TASK_QUEUE } from './shared';
import { LimitPollers } from './activities/limits/pollers';
import { LimitStore } from './temporal/limits';
import { stepSlots } from './temporal/stepSlots';
import { PRELOAD_MODULES } from './temporal/workflowBundle';

/**
 * How often a running step's heartbeat may reach the server. A cancel reaches an activity only in
 * a heartbeat's answer, so this bounds how long a cancelled process lives; but each heartbeat costs
 * the server: 200 ms took its CPU to 2.4x with 50 steps running (bench/cancellation.ts prints both).
 */
export const HEARTBEAT_THROTTLE = '1s';

/** How to build a ptq worker. Everything has a sensible default. */
export interface PtqWorkerOptions extends ConnectionFlags {
  /** Reuse an open connection instead of opening one from the settings. */
  connection?: NativeConnection;
  taskQueue?: string;
  /** Activities callable by name from plans' `activity` steps. */
  activities?: Record<string, UserActivity>;
  /**
   * A prebuilt workflow bundle (tests build one once, with `BUNDLE_OPTIONS`);
   * otherwise the workflows are bundled here.
   */
  workflowBundle?: { code: string } | { codePath: string };
  /** A fixed count of activity slots; unset, they follow the worker's memory use (`stepSlots`). */
  maxConcurrentActivityTaskExecutions?: number;
  maxCachedWorkflows?: number;
  /** On SIGINT/SIGTERM, how long running steps may go on before they are killed and retried elsewhere. */
  shutdownGraceMs?: number;
}

/** Default shutdown grace: long enough for short steps to finish, short enough for a redeploy. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * Creates a worker that runs ptq's workflows and activities. Heartbeats are throttled to at most
 * one second so a cancel reaches a running step within about a second.
 */
export async function createWorker(options: PtqWorkerOptions = {}): Promise<Worker> {
  const settings = connectionSettings(options);
  containment(); // probed now (a bad PTQ_CONTAINMENT fails here), not in the first step
  poolSettings(); // a bad PTQ_BROWSERS or PTQ_BROWSER_IDLE fails here too
  const connection =
    options.connection ??
    (await NativeConnection.connect({
      address: settings.address,
      tls: settings.tls,
      apiKey: settings.apiKey,
      metadata: settings.metadata,
    }));
  const activities = createActivities({ userActivities: options.activities });
  const activityOptions: Omit<WorkerOptions, 'taskQueue'> = {
    connection,
    namespace: settings.namespace,
    dataConverter,
    activities,
    // Thousands of slots fill only as fast as tasks are polled: pollers scale with the backlog.
    ...(options.maxConcurrentActivityTaskExecutions === undefined
      ? { tuner: stepSlots(), activityTaskPollerBehavior: { type: 'autoscaling', maximum: 100 } }
      : { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }),
    // Within the grace, running steps may finish and report; past it they are cancelled (their
    // processes killed) and Temporal retries them on another worker.
    shutdownGraceTime: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  };
  const worker = await Worker.create({
    ...activityOptions,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows'), bundlerOptions: { preloadModules: PRELOAD_MODULES } }),
    maxCachedWorkflows: options.maxCachedWorkflows,
    interceptors: { activity: [logTaskInterceptor] },
  });
  const pollers = new LimitPollers(
    new LimitStore(connection.workflowService, settings.namespace),
    (taskQueue, limitInterceptors) =>
      Worker.create({
        ...activityOptions,
        taskQueue,
        interceptors: { activity: [logTaskInterceptor, ...limitInterceptors] },
      }),
  );
  return withLimitPollers(worker, pollers);
}

/**
 * The worker also polls every named rate limit's queue (see activities/limits/pollers.ts), for as
 * long as it runs: `run` (and `runUntil`, which calls it) runs the limit workers beside it.
 */
function withLimitPollers(worker: Worker, pollers: LimitPollers): Worker {
  const run = worker.run.bind(worker);
  worker.run = async () => {
    const running = run();
    const limits = pollers.runUntil(running);
    try {
      await running;
    } finally {
      await limits;
    }
  };
  return worker;
}
