import { existsSync, readFileSync } from 'node:fs';

/** Whether a process still exists: how tests and benchmarks check that cancellation really killed it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `probe` until it gives a value (not undefined or false), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid a shell task wrote to `file` (`echo $$ > file; exec ...`), once it is there. */
export const readPid = (file: string): Promise<number> =>
  waitFor(() => {
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return text ? Number(text) : undefined;
  });
