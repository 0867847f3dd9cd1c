import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Steps run in process groups of their own, so a cancel can kill everything a step started. That
 * also means a worker killed with -9 would leave them running, re-parented to PID 1, while Temporal
 * retries the step elsewhere: the work would run twice, overlapping. The reaper closes that gap.
 *
 * It is one small process per worker, in its own session (a Ctrl-C in the terminal does not reach
 * it), that the worker tells about each process group it starts and ends, over a pipe. When the
 * pipe closes, however the worker died, the reaper kills every group still listed (SIGTERM, then
 * SIGKILL a second later) and exits. The kernel closes the pipe for a dead worker, so there is no
 * window in which the worker is gone and its steps live on unwatched.
 */

/** The reaper's program, run with `node -e`. Plain ES2015 so it runs as written. */
const REAPER_SOURCE = `
const groups = new Set();
let pending = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (pending + chunk).split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pgid);
    else groups.delete(pgid);
  }
});
const kill = (signal) => groups.forEach((g) => { try { process.kill(-g, signal); } catch (e) {} });
process.stdin.on('close', () => {
  kill('SIGTERM');
  setTimeout(() => { kill('SIGKILL'); process.exit(0); }, ${1_000});
});
`;

let reaper: ChildProcess | undefined;

function ensureReaper(): ChildProcess {
  if (reaper?.stdin?.writable) return reaper;
  // It needs no environment, and gets none: no secret of the worker's shows in its /proc/PID/environ.
  reaper = spawn(process.execPath, ['-e', REAPER_SOURCE], {
    stdio: ['pipe', 'ignore', 'inherit'],
    detached: true,
    env: {},
  });
  // Neither the process nor its pipe may keep the worker alive; the pipe closes when we exit.
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  reaper.stdin?.on('error', () => undefined);
  return reaper;
}

/** Registers a step's process group with the reaper; call the returned function when it has exited. */
export function watchGroup(pgid: number): () => void {
  const r = ensureReaper();
  r.stdin?.write(`+${pgid}\n`);
  return () => {
    if (r.stdin?.writable) r.stdin.write(`-${pgid}\n`);
  };
}
