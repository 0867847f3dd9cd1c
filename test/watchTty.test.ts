import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runId, withWorker } from './helpers';
import { ptq } from './support/cli';
import { waitFor } from './support/processes';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'watch');
const BIN = join(__dirname, '..', 'bin', 'ptq.js');
const ROWS = 40;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

/** `ptq watch` on a real terminal (tmux, 120x40), frame by frame, during a 50-task run. */
describe('the live view on a terminal', () => {
  it('redraws in place, fits the window, and leaves a clean summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptq-tty-'));
    const planPath = join(dir, 'wide.json');
    const tasks = Array.from({ length: 50 }, (_, i) => ({
      id: `t${String(i).padStart(2, '0')}`,
      run:
        i % 10 === 9
          ? { type: 'shell', command: ['sh', '-c', `sleep 1; echo "t${i} broke" >&2; exit 1`] }
          : { type: 'shell', command: ['sleep', '8'] }, // long enough for a loaded CI to start watching
    }));
    writeFileSync(
      planPath,
      JSON.stringify({
        name: 'wide',
        maxConcurrency: 50,
        defaults: { execution: 'inline', retry: { maximumAttempts: 1 } },
        tasks,
      }),
    );
    const session = `ptq-watch-${process.pid}`;
    const frames: string[] = [];
    let whole = '';
    await withWorker(async ({ taskQueue }) => {
      const id = runId('wide');
      await ptq(['start', '--plan', planPath, '--id', id, '--task-queue', taskQueue]);
      const env = `TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`;
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '120',
        '-y',
        String(ROWS),
        `env ${env} ${process.execPath} ${BIN} watch ${id}; sleep 30`,
      );
      try {
        whole = await waitFor(() => {
          frames.push(tmux('capture-pane', '-p', '-t', session));
          // With its scrollback: the summary is longer than the window.
          const all = tmux('capture-pane', '-p', '-S', '-', '-t', session);
          return all.includes('FAILED in') ? all : undefined;
        }, 60_000);
      } finally {
        spawnSync('tmux', ['kill-session', '-t', session]);
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(join(ARTIFACTS, 'frames.txt'), frames.join(`\n${'='.repeat(120)}\n`));
        writeFileSync(join(ARTIFACTS, 'terminal.txt'), whole);
      }
    });
    const live = frames.filter((f) => f.includes('running') && !f.includes('FAILED in'));
    expect(live.length).toBeGreaterThan(0);
    // With 50 running and 40 rows, the view is cut to fit and says how many it left out.
    expect(live.some((f) => /… and \d+ more running/.test(f))).toBe(true);
    for (const f of live) {
      // One frame on screen at a time: exactly one progress bar, never a stale copy above it.
      expect(f.match(/\[[#-]{30}\]/g)).toHaveLength(1);
      expect(f.split('\n').filter((l) => l.startsWith('  ▶')).length).toBeLessThanOrEqual(ROWS);
    }
    // The end: the last frame, then the summary. Frames were drawn over each other, so the whole
    // terminal history holds exactly one progress bar, and no task line below the summary's start.
    expect(whole.match(/\[[#-]{30}\]/g)).toHaveLength(1);
    const end = whole.trimEnd().split('\n');
    const summaryAt = end.findIndex((l) => /^wide \(.*\): FAILED in/.test(l));
    expect(summaryAt).toBeGreaterThan(-1);
    expect(end.slice(summaryAt).filter((l) => l.startsWith('  ▶') || l.startsWith('  ✗'))).toEqual([]);
  });
});
