import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withWorker } from './helpers';
import { startApi } from './support/api';
import { ptq } from './support/cli';

/**
 * A map that stops early shows how its items went everywhere a person looks: the summary JSON,
 * `ptq start --watch`, `ptq result`, the HTTP API and the run's details in the Web UI. The numbers
 * say what they count: 6 items had ended when `until` held, the ones running then finished after.
 */
describe('map results in the run summary, against the real CLI and server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-map-summary-'));
  const file = join(dir, 'scan.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'scan',
      maxConcurrency: 4,
      tasks: [
        {
          id: 'scan',
          // drain: items running at the stop finish, so more succeed than had ended at the stop.
          map: { items: { range: [0, 40] }, maxParallel: 4, until: 'done >= 6', onStop: 'drain' },
          run: { type: 'shell', command: ['sh', '-c', 'sleep 0.3; echo "item $1"', 'sh', '{{item}}'] },
        },
      ],
    }),
  );
  const NOTE =
    /40 items: (\d+) succeeded, 0 failed, (\d+) not started \(stopped early: (until condition met when 6 of 40 items had ended and (\d+) (?:was|were) running)\)/;

  it('shows the counts and the stop in the summary JSON, --watch, result, the API and the Web UI', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const watched = await ptq(['start', '--plan', file, '--task-queue', taskQueue, '--watch']);
      expect(watched.code).toBe(0);
      const id = /started (\S+)/.exec(watched.stderr)![1];
      // The event line and the summary table both carry the note.
      const event = watched.stdout.split('\n').find((l) => /^\d\d:\d\d:\d\d succeeded +scan /.test(l)) ?? '';
      const [note, succeeded, notStarted, stop, running] = NOTE.exec(event) ?? [];
      expect(note).toBeDefined();
      // The items running at the stop all finished: the counts add up, and say which is which.
      expect(Number(succeeded)).toBe(6 + Number(running));
      expect(Number(notStarted)).toBe(40 - Number(succeeded));
      const row = watched.stdout.split('\n').find((l) => /^ {2}scan +succeeded /.test(l));
      expect(row).toContain(note);

      const items = {
        total: 40,
        succeeded: Number(succeeded),
        failed: 0,
        cancelled: 0,
        notStarted: Number(notStarted),
      };
      const summary = JSON.parse((await ptq(['result', id, '--json'])).stdout);
      expect(summary.tasks[0]).toMatchObject({ id: 'scan', status: 'succeeded', items, stop });
      expect((await ptq(['result', `${id}/scan`])).stdout).toContain(`\nmap: ${note}\n`);

      const api = await startApi();
      try {
        expect((await api.call('GET', `/runs/${id}/tasks/scan`)).json).toMatchObject({ items, stop });
        const run = (await api.call('GET', `/runs/${id}`)).json as { summary: { tasks: unknown[] } };
        expect(run.summary.tasks[0]).toMatchObject({ items, stop });
        const spec = (await api.call('GET', '/openapi.json')).json as { components: { schemas: object } };
        expect(Object.keys(spec.components.schemas)).toContain('MapItems');
      } finally {
        api.stop();
      }

      const meta = await client.workflow
        .getHandle(id)
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(meta.currentDetails).toContain(`| scan | succeeded | ${note} |`);
    });
  });
});
