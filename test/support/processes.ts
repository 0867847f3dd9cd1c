import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/**
 * Shell words that write the step's pid to `file` for `readPid`. A step runs in a PID namespace of
 * its own, where `$$` means nothing outside, so the namespace goes with it.
 */
export const writePid = (file: string): string => `echo "$$ $(readlink /proc/self/ns/pid)" > ${file}`;

/** The pid, as this process sees it, of the live process that wrote `file` (`writePid`), once it is there. */
export const readPid = (file: string): Promise<number> =>
  waitFor(() => {
    const [pid, ns] = (existsSync(file) ? readFileSync(file, 'utf8').trim() : '').split(' ');
    if (!pid) return undefined;
    return ns ? livePids().find((p) => p.ns === ns && p.nsPid === Number(pid))?.pid : Number(pid);
  });

/** Pids of the live processes (zombies are not) whose argv holds every one of `args`, in any namespace. */
export function runningWith(...args: string[]): number[] {
  return livePids()
    .filter((p) => args.every((a) => p.argv.includes(a)))
    .map((p) => p.pid);
}

/** The pids of a process's ancestors, parent first. */
export function ancestorsOf(pid: number): number[] {
  const out: number[] = [];
  for (let p = parentOf(pid); p > 1; p = parentOf(p)) out.push(p);
  return out;
}

function parentOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  } catch {
    return 0;
  }
}

/** Every live process: its pid here, its PID namespace and pid in there, and its argv. */
function livePids(): { pid: number; ns: string; nsPid: number; argv: string[] }[] {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      const nsPid = Number(/^NSpid:.*\s(\d+)$/m.exec(status)?.[1]);
      const ns = readlinkSync(`/proc/${entry}/ns/pid`);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      out.push({ pid: Number(entry), ns, nsPid, argv });
    } catch {
      continue; // gone meanwhile
    }
  }
  return out;
}
