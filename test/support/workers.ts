import type { ChildProcess } from 'node:child_process';
import { spawnPtq } from './cli';

/** A `ptq worker` running as its own process, so a test can kill it like an operator would. */
export interface WorkerProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `ptq worker` on a task queue and resolves once it polls. */
export async function startWorkerProcess(
  taskQueue: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawnPtq(['worker', '--task-queue', taskQueue, ...args], env);
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('polling task queue')) resolve();
    });
    void exited.then((code) => reject(new Error(`ptq worker exited (${code}) before polling: ${err}`)));
  });
  return { child, stderr: () => err, exited };
}
