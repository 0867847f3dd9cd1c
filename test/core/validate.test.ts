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
      { tasks: Array.from({ length: 20_001 }, (_, i) => ({ id: `t${i}`, run: shell })) },
      'tasks: a plan may have at most 20000 tasks: split it into several plans',
    ],
    ['M < 1', { maxConcurrency: 0, tasks: [{ id: 'a', run: shell }] }, 'maxConcurrency: must be at least 1'],
    ['M > 2000', { maxConcurrency: 2001, tasks: [{ id: 'a', run: shell }] }, 'maxConcurrency: must be at most 2000'],
    [
      'bad duration',
      { tasks: [{ id: 'a', estimate: '5 minutes', run: shell }] },
      'tasks[0].estimate: bad duration "5 minutes"',
    ],
    [
      'unknown step type',
      { tasks: [{ id: 'a', run: { type: 'ftp' } }] },
      'tasks[0].run: unknown step type "ftp": use one of shell, http, sleep, activity',
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
      'tasks[0].run: step 2: unknown step type "ftp"',
    ],
    [
      'shell command as a string',
      { tasks: [{ id: 'a', run: { type: 'shell', command: 'rm -rf /' } }] },
      'tasks[0].run',
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
