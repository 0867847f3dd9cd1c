import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';

const BIN = join(__dirname, '..', '..', 'bin', 'ptq.js');

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `ptq` binary as a subprocess (async, so the test's worker keeps running). */
export function ptq(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return ptqLive(args, env).result;
}

/** `ptq` as a subprocess whose stderr can be read while it runs, to act on what it has said. */
export function ptqLive(
  args: string[],
  env: Record<string, string> = {},
): { result: Promise<CliResult>; stderr: () => string } {
  const child = spawnPtq(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { result, stderr: () => stderr };
}

/** Starts `ptq` without waiting, for long-running commands like `ptq dev`. */
export function spawnPtq(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `ptq dev --run PLAN --exit --headless` on a free port: a plan end to end on its own dev server. */
export async function ptqDevRun(plan: string): Promise<CliResult & { port: number }> {
  const port = await freePort();
  return { ...(await ptq(['dev', '--run', plan, '--exit', '--headless', '--port', String(port)])), port };
}
