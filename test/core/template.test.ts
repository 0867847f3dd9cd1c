import { parseJsonOutput, Plan, resolveParams, Scheduler, validatePlan, type PlanInput } from '../../src/core';
import { resolveStep } from '../../src/core/plan/stepTemplates';
import { parseRef, resolveValue, type TemplateContext } from '../../src/core/plan/template';

const ctx: TemplateContext = {
  tasks: { extract: { output: 'a.csv\n', json: { files: ['a.csv', 'b c.csv'], count: 2, user: { id: 7 } } } },
  params: { env: 'staging', shards: 8 },
  run: { id: 'run-1' },
  task: { id: 'load', attempt: 2 },
};

describe('templates', () => {
  it('parses every kind of reference, including json paths and ids with dots', () => {
    expect(parseRef('tasks.a.b.output')).toEqual({ kind: 'task', task: 'a.b', field: 'output', path: [] });
    expect(parseRef('tasks.x.json.files[1]')).toEqual({ kind: 'task', task: 'x', field: 'json', path: ['files', 1] });
    expect(parseRef('tasks.x.json["odd key"].y')).toMatchObject({ path: ['odd key', 'y'] });
    expect(parseRef('params.env')).toEqual({ kind: 'param', name: 'env' });
    expect(parseRef('task.attempt')).toEqual({ kind: 'self', field: 'attempt' });
    expect(() => parseRef('env.HOME')).toThrow(/not a template ptq knows/);
  });

  it('keeps a whole-field template typed and writes non-strings inside text as JSON', () => {
    expect(resolveValue('{{tasks.extract.json}}', ctx)).toEqual(ctx.tasks.extract.json);
    expect(resolveValue('{{ tasks.extract.json.count }}', ctx)).toBe(2);
    expect(resolveValue('n={{tasks.extract.json.count}} u={{tasks.extract.json.user}}', ctx)).toBe('n=2 u={"id":7}');
    expect(resolveValue({ deep: ['{{params.shards}}', 'run {{run.id}}/{{task.id}}#{{task.attempt}}'] }, ctx)).toEqual({
      deep: [8, 'run run-1/load#2'],
    });
  });

  it('substitutes into a shell step without splitting or interpreting values', () => {
    const hostile = '; rm -rf / $(touch pwned) `id` "quoted"\nnext line';
    const step = resolveStep(
      {
        type: 'shell',
        command: ['cat', '{{tasks.extract.json.files[1]}}', '{{params.evil}}'],
        cwd: '/tmp/{{params.env}}',
        env: { TARGET: '{{params.env}}' },
      },
      { ...ctx, params: { ...ctx.params, evil: hostile } },
    );
    expect(step.command).toEqual(['cat', 'b c.csv', hostile]);
    expect(step).toMatchObject({ cwd: '/tmp/staging', env: { TARGET: 'staging' } });
  });

  it('names the template and what is missing when a value is not there', () => {
    expect(() => resolveValue('{{tasks.extract.json.nope}}', ctx)).toThrow(
      '{{tasks.extract.json.nope}}: no "nope" in the output',
    );
    expect(() => resolveValue('{{tasks.other.output}}', ctx)).toThrow('task "other" has no result here');
  });
});

describe('validate checks every template and condition', () => {
  const shell = (command: string[]) => ({ type: 'shell' as const, command });
  const base = (tasks: PlanInput['tasks'], extra: Partial<PlanInput> = {}) => validatePlan({ tasks, ...extra });
  it.each([
    [
      'a task that is not a dependency',
      [
        { id: 'a', output: 'json' as const, run: shell(['echo', '{}']) },
        { id: 'b', run: shell(['echo', '{{tasks.a.json.x}}']) },
      ],
      'task "b": run.command[1]: {{tasks.a.json.x}}: task "a" is not a dependency of "b", so it may not have run yet: add it to dependsOn',
    ],
    [
      'an unknown task',
      [{ id: 'b', run: shell(['echo', '{{tasks.ghost.output}}']) }],
      'task "b": run.command[1]: {{tasks.ghost.output}}: unknown task "ghost"',
    ],
    [
      'a json path on a text output',
      [
        { id: 'a', run: shell(['echo', '{}']) },
        {
          id: 'b',
          dependsOn: ['a'],
          run: { type: 'http' as const, url: 'http://127.0.0.1/', body: '{{tasks.a.json}}' },
        },
      ],
      'task "b": run.body: {{tasks.a.json}}: task "a" has no JSON output: set "output": "json" on it',
    ],
    [
      'an unknown parameter',
      [{ id: 'b', run: shell(['echo', '{{params.region}}']) }],
      'task "b": run.command[1]: {{params.region}}: unknown parameter "region": declare it in "params"',
    ],
    [
      'an unknown root',
      [{ id: 'b', run: { type: 'llm' as const, prompt: 'Hi {{env.USER}}' } }],
      'task "b": run.prompt: {{env.USER}} is not a template ptq knows',
    ],
    [
      'the attempt in activity input',
      [{ id: 'b', run: { type: 'activity' as const, name: 'x', input: { n: '{{task.attempt}}' } } }],
      'task "b": run.input.n: {{task.attempt}} is only known where a step runs',
    ],
    [
      'a condition that is not CEL',
      [{ id: 'b', when: 'params.x ==', run: shell(['true']) }],
      'task "b": when: not a valid CEL expression',
    ],
  ])('%s', (_name, tasks, message) => {
    const r = base(tasks);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.join('\n')).toContain(message);
  });

  it('accepts references to transitive dependencies, and finally tasks reading any task', () => {
    const r = base([
      { id: 'a', output: 'json', run: shell(['echo', '{}']) },
      { id: 'b', dependsOn: ['a'], run: shell(['true']) },
      { id: 'c', dependsOn: ['b'], run: shell(['echo', '{{tasks.a.json}}', '{{tasks.b.output}}']) },
    ]);
    expect(r.ok).toBe(true);
    const fin = validatePlan({
      tasks: [{ id: 'a', run: shell(['true']) }],
      finally: [{ id: 'z', run: shell(['echo', '{{tasks.a.output}}']) }],
    });
    expect(fin.ok).toBe(true);
  });
});

describe('parameters', () => {
  const plan = Plan.parse({
    params: { env: { default: 'dev' }, shards: { type: 'number' }, dry: { type: 'boolean', default: false } },
    tasks: [{ id: 'a', run: { type: 'shell', command: ['true'] } }],
  });
  it('types values and applies defaults', () => {
    expect(resolveParams(plan, { shards: '8', dry: 'true' })).toEqual({
      ok: true,
      value: { env: 'dev', shards: 8, dry: true },
    });
  });
  it('reports unknown, ill-typed and missing parameters together', () => {
    expect(resolveParams(plan, { shards: 'many', region: 'eu' })).toEqual({
      ok: false,
      error: [
        'unknown parameter "region": the plan declares env, shards, dry',
        'parameter "shards" must be a number, got "many"',
      ],
    });
    expect(resolveParams(plan, {})).toMatchObject({ error: ['parameter "shards" is required: pass -p shards=VALUE'] });
  });
});

describe('JSON outputs', () => {
  it('says where output is not JSON, and refuses output over the cap', () => {
    const bad = parseJsonOutput('{\n "a": 1,\n "b": }\n', 1000);
    expect(bad).toMatchObject({ ok: false });
    if (!bad.ok) expect(bad.error).toMatch(/^output is not JSON: .*line 3/);
    const big = parseJsonOutput(JSON.stringify({ x: 'y'.repeat(2000) }), 1024);
    expect(big).toMatchObject({ ok: false, error: expect.stringContaining('over the 1 KB cap (jsonOutputLimit)') });
    expect(parseJsonOutput('```json\n[1,2]\n```', 100)).toEqual({ ok: true, value: [1, 2] });
  });
});

describe('scheduler: conditions, runIf and finally', () => {
  const t = (id: string, dependsOn: string[] = [], extra: Record<string, unknown> = {}) => ({
    id,
    dependsOn,
    run: { type: 'sleep' as const, duration: 1 },
    ...extra,
  });
  const startAll = (s: Scheduler) => {
    const ids: string[] = [];
    for (let id = s.next(); id !== undefined; id = s.next()) {
      s.start(id, 0);
      ids.push(id);
    }
    return ids;
  };

  it('skips a task whose condition is false, and its dependents, without failing the run', () => {
    const p = Plan.parse({
      params: { env: {} },
      tasks: [
        t('check', [], { output: 'json' }),
        t('deploy', ['check'], { when: 'tasks.check.json.ok && params.env == "prod"' }),
        t('after', ['deploy']),
        t('notify', ['check'], { when: 'tasks.check.json.ok' }),
      ],
    });
    const s = Scheduler.create(p, { params: { env: 'staging' } });
    expect(startAll(s)).toEqual(['check']);
    s.succeed('check', { endedAt: 1, json: { ok: true } });
    expect(s.task('deploy')).toMatchObject({
      status: 'skipped',
      reason: 'condition false: tasks.check.json.ok && params.env == "prod"',
    });
    expect(s.task('after')).toMatchObject({ status: 'skipped', reason: 'skipped because "deploy" was skipped' });
    expect(startAll(s)).toEqual(['notify']);
    s.succeed('notify', { endedAt: 2 });
    expect(s.status()).toBe('succeeded');
  });

  it('runs "always" tasks after a failure or a cancel, and "failure" tasks only after one', () => {
    const p = Plan.parse({
      tasks: [
        t('a'),
        t('b'),
        t('cleanup', ['a', 'b'], { runIf: 'always' }),
        t('alert', ['a'], { runIf: 'failure' }),
        t('quiet', ['b'], { runIf: 'failure' }),
        t('next', ['a']),
      ],
    });
    const s = Scheduler.create(p);
    expect(startAll(s)).toEqual(['a', 'b']);
    s.fail('a', { endedAt: 1, error: 'boom' });
    s.cancelled('b', { endedAt: 1 });
    expect(startAll(s).sort()).toEqual(['alert', 'cleanup', 'quiet']);
    expect(s.task('next')).toMatchObject({ status: 'skipped', reason: 'skipped because "a" failed' });
    const q = Scheduler.create(p);
    startAll(q);
    q.succeed('a', { endedAt: 1 });
    q.succeed('b', { endedAt: 1 });
    expect(q.task('alert')).toMatchObject({
      status: 'skipped',
      reason: 'skipped: runs only after a failure, and none failed',
    });
  });

  it('runs finally tasks after everything else, also after a cancel; a second cancel reaches them', () => {
    const p = Plan.parse({
      tasks: [t('a'), t('b', ['a'])],
      finally: [t('cleanup'), t('report', ['cleanup'])],
    });
    const s = Scheduler.create(p);
    expect(startAll(s)).toEqual(['a']);
    expect(s.cancel('stop')).toEqual(['a']);
    expect(s.task('b').status).toBe('cancelled');
    expect(startAll(s)).toEqual([]);
    s.cancelled('a', { endedAt: 1 });
    expect(startAll(s)).toEqual(['cleanup']);
    expect(s.cancel('stop now')).toEqual(['cleanup']);
    s.cancelled('cleanup', { endedAt: 2 });
    expect(s.task('report')).toMatchObject({ status: 'cancelled', reason: 'run cancelled again: stop now' });
    expect(s.isDone()).toBe(true);
    expect(s.status()).toBe('cancelled');
  });

  it('a condition that errors fails its task with the reason', () => {
    const s = Scheduler.create(Plan.parse({ tasks: [t('a', [], { when: 'tasks.nope.ok' })] }));
    expect(s.task('a')).toMatchObject({ status: 'failed', error: expect.stringContaining('condition failed') });
  });
});
