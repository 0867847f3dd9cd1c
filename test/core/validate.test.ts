import { validatePlan } from '../../src/core';
import { parsePlanText } from '../../src/planFile';

const shell = { type: 'shell', command: ['true'] };

function problems(plan: unknown): string[] {
  const r = validatePlan(plan);
  if (r.ok) throw new Error('expected the plan to be rejected');
  return r.error;
}

describe('plan validation', () => {
  it('accepts a good plan and applies defaults', () => {
    const r = validatePlan({ tasks: [{ id: 'a', run: shell, estimate: '2s' }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.maxConcurrency).toBe(4);
    expect(r.value.policy).toBe('critical-path');
    expect(r.value.onFailure).toBe('continue');
    expect(r.value.tasks[0].estimate).toBe(2000);
    expect(r.value.tasks[0].dependsOn).toEqual([]);
  });

  it.each([
    [
      'duplicate ids',
      {
        tasks: [
          { id: 'a', run: shell },
          { id: 'a', run: shell },
        ],
      },
      'duplicate task id "a"',
    ],
    [
      'unknown dependency',
      { tasks: [{ id: 'a', dependsOn: ['ghost'], run: shell }] },
      'task "a" depends on unknown task "ghost"',
    ],
    ['self dependency', { tasks: [{ id: 'a', dependsOn: ['a'], run: shell }] }, 'task "a" depends on itself'],
    [
      'cycle',
      {
        tasks: [
          { id: 'a', dependsOn: ['c'], run: shell },
          { id: 'b', dependsOn: ['a'], run: shell },
          { id: 'c', dependsOn: ['b'], run: shell },
        ],
      },
      'dependency cycle: a -> c -> b -> a',
    ],
    ['empty plan', { tasks: [] }, 'tasks: the plan has no tasks'],
    [
      'too many tasks',
      { tasks: Array.from({ length: 50_001 }, (_, i) => ({ id: `t${i}`, run: shell })) },
      'tasks: a plan may have at most 50000 tasks: split it into several plans',
    ],
    ['M < 1', { maxConcurrency: 0, tasks: [{ id: 'a', run: shell }] }, 'maxConcurrency: must be at least 1'],
    [
      'M > 10000',
      { maxConcurrency: 10_001, tasks: [{ id: 'a', run: shell }] },
      'maxConcurrency: must be at most 10000',
    ],
    [
      'bad duration',
      { tasks: [{ id: 'a', estimate: '5 minutes', run: shell }] },
      'task "a": estimate: bad duration "5 minutes"',
    ],
    [
      'unknown step type',
      { tasks: [{ id: 'a', run: { type: 'ftp' } }] },
      'task "a": run.type: unknown step type "ftp": use one of shell, http, sleep, activity',
    ],
    [
      'group that can never run',
      { groups: { db: { maxConcurrency: 0 } }, tasks: [{ id: 'a', group: 'db', run: shell }] },
      'group "db" has maxConcurrency 0, so its tasks could never start',
    ],
    [
      'resource held twice by one task',
      { tasks: [{ id: 'a', resources: ['f', 'f'], run: shell }] },
      'task "a" lists resource "f" twice',
    ],
    [
      'unknown type in a list of steps',
      { tasks: [{ id: 'a', run: [shell, { type: 'ftp' }] }] },
      'task "a": run[1].type: unknown step type "ftp"',
    ],
    [
      'shell command as a string',
      { tasks: [{ id: 'a', run: { type: 'shell', command: 'rm -rf /' } }] },
      'task "a": run.command: expected array, got string "rm -rf /"',
    ],
  ])('rejects %s', (_name, plan, message) => {
    const found = problems(plan);
    expect(found.some((p) => p.includes(message))).toBe(true);
  });

  it('reports every problem at once', () => {
    const found = problems({
      tasks: [
        { id: 'a', dependsOn: ['x'], run: shell },
        { id: 'a', dependsOn: ['y'], run: shell },
      ],
    });
    expect(found).toHaveLength(3);
  });

  it('reads YAML and points at JSON syntax errors', () => {
    const plan = parsePlanText('name: y\ntasks:\n  - id: a\n    run: { type: sleep, duration: 1s }\n', 'p.yaml');
    expect(plan.tasks[0].run).toEqual({ type: 'sleep', duration: 1000 });
    expect(() => parsePlanText('{"tasks": [', 'p.json')).toThrow(/p\.json: invalid JSON/);
  });
});

/** Plans that passed `validate` in the first release, then hung or misbehaved on the server. */
describe('plans Temporal would refuse are refused by validate, with one clear line', () => {
  const deep = (levels: number) => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = { v };
    return v;
  };
  it.each([
    [
      'maximumInterval below initialInterval in one retry policy',
      { tasks: [{ id: 'a', retry: { initialInterval: '2m', maximumInterval: '1m' }, run: shell }] },
      'task "a": retry: retry.maximumInterval (60000ms) is less than retry.initialInterval (120000ms)',
    ],
    [
      'maximumInterval below initialInterval across defaults and task',
      {
        defaults: { retry: { maximumInterval: '1s' } },
        tasks: [{ id: 'a', retry: { initialInterval: '5s' }, run: shell }],
      },
      'task "a": retry.maximumInterval (1000ms) is less than retry.initialInterval (5000ms)',
    ],
    ['a task timeout of 0', { tasks: [{ id: 'a', timeout: 0, run: shell }] }, 'task "a": timeout: bad duration 0'],
    [
      'a heartbeat timeout of 0',
      { defaults: { heartbeatTimeout: '0s' }, tasks: [{ id: 'a', run: shell }] },
      'defaults.heartbeatTimeout: bad duration "0s": use a heartbeat timeout from 1000ms',
    ],
    [
      'maximumAttempts beyond int32',
      { tasks: [{ id: 'a', retry: { maximumAttempts: 1e12 }, run: shell }] },
      'task "a": retry.maximumAttempts: must be at most 2147483647',
    ],
    ['a 1,000-character task id', { tasks: [{ id: 'a'.repeat(1000), run: shell }] }, 'id: at most 200 characters'],
    [
      'a step timeout of 0',
      { tasks: [{ id: 'a', run: { ...shell, timeout: 0 } }] },
      'task "a": run.timeout: bad duration 0',
    ],
    [
      'a sleep of 1e20 ms',
      { tasks: [{ id: 'a', run: { type: 'sleep', duration: 1e20 } }] },
      'task "a": run.duration: bad duration 100000000000000000000: use a duration of at most 365 days',
    ],
    [
      'an undeclared group',
      { tasks: [{ id: 'a', group: 'db', run: shell }] },
      'task "a" uses group "db", which "groups" does not declare',
    ],
    [
      'a 10,000-level activity input',
      { tasks: [{ id: 'a', run: { type: 'activity', name: 'x', input: deep(10_000) } }] },
      'task "a": run.input: nested more than 64 levels deep',
    ],
    [
      'a 10,000-level http body',
      { tasks: [{ id: 'a', run: { type: 'http', url: 'http://127.0.0.1/', body: deep(10_000) } }] },
      'task "a": run.body: nested more than 64 levels deep',
    ],
    [
      'a 4 MB prompt',
      { tasks: [{ id: 'a', run: { type: 'llm', prompt: 'x'.repeat(4 << 20) } }] },
      'task "a": run.prompt: too long: at most 262144 characters',
    ],
    [
      'a group named __proto__',
      {
        groups: JSON.parse('{"__proto__": {"maxConcurrency": 1}}'),
        tasks: [{ id: 'a', resources: ['__proto__'], run: shell }],
      },
      'task "a": resources[0]: "__proto__" is reserved',
    ],
    [
      'a file:// URL',
      { tasks: [{ id: 'a', run: { type: 'http', url: 'file:///etc/passwd' } }] },
      'task "a": run.url: expected an http:// or https:// URL',
    ],
    [
      'a sleep step without duration',
      { tasks: [{ id: 'a', run: { type: 'sleep' } }] },
      'task "a": run.duration: required: a duration like "250ms"',
    ],
  ])('%s', (_name, p, message) => {
    const found = problems(p);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it('defaults maximumInterval to at least initialInterval, so a long initial backoff is valid', () => {
    expect(validatePlan({ tasks: [{ id: 'a', retry: { initialInterval: '2m' }, run: shell }] }).ok).toBe(true);
  });

  it('a workspace repo given as a git URL has no shared checkout: isolation none and include are refused', () => {
    const tasks = [{ id: 'a', run: shell }];
    const repo = 'git@github.com:acme/app.git';
    expect(validatePlan({ workspace: { git: { repo: 'https://example.com/app.git' } }, tasks }).ok).toBe(true);
    expect(problems({ workspace: { git: { repo }, isolation: 'none', include: ['.env'] }, tasks })).toEqual([
      'workspace: isolation "none" needs a repo path; with a git URL each task works on its own branch',
      'workspace.include: a git URL has no checkout to copy .env from: use a repo path',
    ]);
  });

  it('shows a cycle even when the plan has other problems, and suggests a misspelled key', () => {
    const found = problems({
      tasks: [
        { id: 'a', dependsOn: ['b'], run: shell },
        { id: 'b', dependsOn: ['a', 'ghost'], run: shell },
      ],
    });
    expect(found).toContain('task "b" depends on unknown task "ghost"');
    expect(found.some((p) => p.startsWith('dependency cycle: a -> b -> a'))).toBe(true);
    expect(problems({ tasks: [{ id: 'a', dependson: [], run: shell }] })).toEqual([
      'task "a": unknown key "dependson": did you mean "dependsOn"?',
    ]);
    expect(problems({ tasks: [{ id: 'a', finally: true, run: shell }] })).toEqual([
      'task "a": unknown key "finally": "finally" is a key of another level of the plan, not of this one (see `ptq schema`)',
    ]);
  });

  it('takes a burst up to one second of the rate, and refuses more in one line that says why', () => {
    expect(validatePlan({ limits: { api: { rate: '20/s', burst: 5 } }, tasks: [{ id: 'a', run: shell }] }).ok).toBe(
      true,
    );
    expect(problems({ limits: { api: { rate: '20/s', burst: 40 } }, tasks: [{ id: 'a', run: shell }] })).toEqual([
      'limits.api.burst: burst must be a whole number from 1 to 20 (one second of the rate: Temporal lets no more through at once), got 40',
    ]);
    expect(problems({ limits: { api: { rate: '30/m', burst: 2 } }, tasks: [{ id: 'a', run: shell }] })).toEqual([
      'limits.api.burst: burst must be a whole number from 1 to 1 (one second of the rate: Temporal lets no more through at once), got 2',
    ]);
  });

  it('reads a JSON file that starts with a byte-order mark', () => {
    const plan = parsePlanText('\uFEFF{"tasks": [{"id": "a", "run": {"type": "sleep", "duration": "1s"}}]}', 'p.json');
    expect(plan.tasks[0].id).toBe('a');
  });
});
