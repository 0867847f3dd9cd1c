import { validatePlan } from '../../src/core';
import { scriptArg } from '../../src/core/plan/scriptArgs';

describe('inline code in an argv', () => {
  it.each([
    [['sh', '-c', 'echo {{x}}'], 2, '-c'],
    [['bash', '-lc', 'echo {{x}}'], 2, '-lc'],
    [['bash', '-ec', 'echo {{x}}'], 2, '-ec'],
    [['bash', '-euo', 'pipefail', '-c', 'echo {{x}}'], 4, '-c'],
    [['bash', '--norc', '-c', 'echo {{x}}', 'bash', 'arg'], 3, '-c'],
    [['/bin/sh', '-c', 'echo {{x}}'], 2, '-c'],
    [['/usr/bin/env', 'bash', '-c', 'echo {{x}}'], 3, '-c'],
    [['env', 'A=1', 'zsh', '-c', 'echo {{x}}'], 4, '-c'],
    [['timeout', '10', 'dash', '-c', 'echo {{x}}'], 4, '-c'],
    [['sh', '-c', '-x', 'echo {{x}}'], 3, '-c'],
    [['fish', '--command', 'echo {{x}}'], 2, '--command'],
    [['node', '-e', 'console.log("{{x}}")'], 2, '-e'],
    [['node', '--eval', 'console.log("{{x}}")'], 2, '--eval'],
    [['node', '--eval=console.log("{{x}}")'], 1, '--eval'],
    [['node', '-r', 'ts-node/register', '-pe', '"{{x}}"'], 4, '-pe'],
    [['python3', '-c', 'print("{{x}}")'], 2, '-c'],
    [['python3.12', '-uc', 'print("{{x}}")'], 2, '-c'],
    [['python', '-W', 'ignore', '-c', 'print("{{x}}")'], 4, '-c'],
    [['python', '-cprint("{{x}}")'], 1, '-c'],
    [['perl', '-lne', 'print "{{x}}"'], 2, '-lne'],
    [['ruby', '-e', 'puts "{{x}}"'], 2, '-e'],
  ])('%j: the code is argument %i (%s)', (argv, index, flag) => {
    expect(scriptArg(argv)).toMatchObject({ index, flag });
  });

  it.each([
    [['echo', 'hello {{x}}']],
    [['sh', 'script.sh', '{{x}}']],
    [['bash', '-x', 'deploy.sh', '-c', '{{x}}']],
    [['node', 'tool.js', '-e', '{{x}}']],
    [['python3', '-m', 'http.server', '-c', '{{x}}']],
    [['python3', 'run.py', '-c', '{{x}}']],
    [['sh', '-c']],
  ])('%j runs no inline code', (argv) => {
    expect(scriptArg(argv)).toBeUndefined();
  });

  it('validate refuses a template in the code, in one line that shows the env form', () => {
    const r = validatePlan({
      params: { name: {} },
      tasks: [{ id: 'greet', run: { type: 'shell', command: ['bash', '-c', 'echo hello {{params.name}}'] } }],
    });
    expect(r).toEqual({
      ok: false,
      error: [
        'task "greet": run.command[2]: {{params.name}} is inside the code of bash -c, which parses the value as code ' +
          '(a value like "x; rm -rf ~" would run): pass it in env ("env": {"NAME": "{{params.name}}"}) and write "$NAME" ' +
          'in the code, or set "unsafeShellTemplates": true on the step',
      ],
    });
  });

  it('accepts the safe forms and the explicit opt-out', () => {
    const plan = (run: unknown) => ({ params: { name: {} }, tasks: [{ id: 't', run }] });
    for (const run of [
      { type: 'shell', command: ['sh', '-c', 'echo hello "$NAME"'], env: { NAME: '{{params.name}}' } },
      { type: 'shell', command: ['sh', '-c', 'echo hello "$1"', 'sh', '{{params.name}}'] },
      { type: 'shell', command: ['echo', 'hello {{params.name}}'] },
      { type: 'shell', command: ['sh', '-c', 'echo hello {{params.name}}'], unsafeShellTemplates: true },
    ])
      expect(validatePlan(plan(run)).ok).toBe(true);
  });

  it('names the variable after the reference and the way the interpreter reads it', () => {
    const r = validatePlan({
      tasks: [
        { id: 'a', output: 'json', run: { type: 'shell', command: ['echo', '{}'] } },
        {
          id: 'b',
          dependsOn: ['a'],
          run: [
            { type: 'shell', command: ['node', '-e', 'f("{{tasks.a.json.files[0]}}")'] },
            { type: 'shell', command: ['python3', '-c', 'f("{{ tasks.a.output }}")'] },
          ],
        },
        {
          id: 'm',
          map: { items: { command: ['sh', '-c', 'ls {{tasks.a.output}}'] } },
          dependsOn: ['a'],
          run: { type: 'shell', command: ['echo', '{{item}}'] },
        },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      expect.stringContaining('task "b": run[0].command[2]: {{tasks.a.json.files[0]}} is inside the code of node -e'),
      expect.stringContaining('task "b": run[1].command[2]: {{tasks.a.output}} is inside the code of python3 -c'),
      expect.stringContaining('task "m": map.items.command[2]: {{tasks.a.output}} is inside the code of sh -c'),
    ]);
    expect(r.error[0]).toContain('"env": {"FILES": "{{tasks.a.json.files[0]}}"}) and write process.env.FILES');
    expect(r.error[1]).toContain('write os.environ["OUTPUT"]');
    expect(r.error[2]).toContain('pass the value as an argument of its own after the code');
  });
});
