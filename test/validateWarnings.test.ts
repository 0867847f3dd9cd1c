import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ptq } from './support/cli';

/** M (default 4) caps a map's maxParallel and a group's limit: validate says so instead of keeping quiet. */
describe('ptq validate warns about limits above M', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptq-validate-warnings-'));
  const planFile = (name: string, extra: Record<string, unknown>) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      JSON.stringify({
        ...extra,
        groups: { db: { maxConcurrency: 8 } },
        tasks: [
          {
            id: 'verify',
            map: { items: { range: [0, 20] }, maxParallel: 10 },
            run: { type: 'shell', command: ['echo', '{{item}}'] },
          },
          { id: 'migrate', group: 'db', run: { type: 'shell', command: ['true'] } },
        ],
      }),
    );
    return path;
  };

  it('a map or group asking for more than the default M of 4 gets one warning line each; the plan is still ok', async () => {
    const file = planFile('capped.json', {});
    const r = await ptq(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 2 tasks/);
    expect(r.stderr).toBe(
      `${file}: warning: task "verify": map.maxParallel 10 is more than the plan's maxConcurrency 4, so at most 4 items run at once: raise "maxConcurrency" to 10 (or start with --max-concurrency 10)\n` +
        `${file}: warning: group "db": maxConcurrency 8 is more than the plan's maxConcurrency 4, so at most 4 of its tasks run at once: raise "maxConcurrency" to 8 (or start with --max-concurrency 8)\n`,
    );
    const json = JSON.parse((await ptq(['validate', file, '--json'])).stdout);
    expect(json).toMatchObject({ ok: true, maxConcurrency: 4 });
    expect(json.warnings).toHaveLength(2);
  });

  it('no warning once M is as high as they ask', async () => {
    const file = planFile('raised.json', { maxConcurrency: 10 });
    const r = await ptq(['validate', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).warnings).toEqual([]);
    expect((await ptq(['validate', file])).stderr).toBe('');
  });
});
