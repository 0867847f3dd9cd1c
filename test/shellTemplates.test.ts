import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summaryOf } from '../src/client';
import { runId, withWorker } from './helpers';
import { startApi } from './support/api';
import { ptq } from './support/cli';

/**
 * A template inside the code of `bash -c` is parsed by the shell, so a parameter like
 * `x; touch FILE` runs a command. Every way in refuses such a plan before anything runs: validate,
 * start, the HTTP API, and the workflow itself for a client that skipped validation.
 */
const dir = mkdtempSync(join(tmpdir(), 'ptq-shell-templates-'));
const pwned = join(dir, 'pwned');
const evil = `x; touch ${pwned}`;

function planFile(name: string, plan: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(plan));
  return path;
}

const greet = (run: Record<string, unknown>) => ({
  name: 'greet',
  params: { name: { default: 'world' } },
  tasks: [{ id: 'greet', run: { type: 'shell', ...run } }],
});
const unsafe = greet({ command: ['bash', '-c', 'echo hello {{params.name}}'] });
const REFUSAL =
  'task "greet": run.command[2]: {{params.name}} is inside the code of bash -c, which parses the value as code ' +
  '(a value like "x; rm -rf ~" would run): pass it in env ("env": {"NAME": "{{params.name}}"}) and write "$NAME" ' +
  'in the code, or set "unsafeShellTemplates": true on the step';

describe('templates inside shell code, against the real CLI and server', () => {
  afterEach(() => expect(existsSync(pwned)).toBe(false));

  it('validate and start refuse the plan in one line that shows the env form; nothing runs', async () => {
    const file = planFile('unsafe.json', unsafe);
    const validated = await ptq(['validate', file]);
    expect(validated).toMatchObject({ code: 2, stderr: `${file}: ${REFUSAL}\n` });
    await withWorker(async ({ taskQueue }) => {
      const started = await ptq(['start', '--plan', file, '-p', `name=${evil}`, '--task-queue', taskQueue, '--wait']);
      expect(started.code).toBe(2);
      expect(started.stderr).toContain(REFUSAL);
      expect(started.stderr).not.toContain('started');
    });
    // The same check holds wherever the template hides: wrappers, combined flags, other interpreters.
    for (const command of [
      ['/usr/bin/env', 'bash', '-lc', 'echo {{params.name}}'],
      ['sh', '-ec', 'echo {{params.name}}'],
      ['python3', '-c', 'print("{{params.name}}")'],
      ['node', '--eval', 'console.log("{{params.name}}")'],
    ]) {
      const r = await ptq(['validate', planFile('hidden.json', greet({ command }))]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`{{params.name}} is inside the code of ${command.at(-3)!}`);
    }
  });

  it('a run started without validation fails on its own check before any task starts', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await client.workflow.start('ptqRun', {
        workflowId: runId('shell-template'),
        taskQueue,
        args: [{ plan: unsafe, params: { name: evil } }],
      });
      await expect(summaryOf(handle)).rejects.toMatchObject({
        cause: { type: 'PlanValidationError', message: REFUSAL },
      });
    });
  });

  it('the HTTP API refuses the plan with the same line', async () => {
    const api = await startApi();
    try {
      const r = await api.call('POST', '/runs', { plan: unsafe, params: { name: evil } });
      expect(r.status).toBe(400);
      expect((r.json as { error: string }).error).toContain(REFUSAL);
    } finally {
      api.stop();
    }
  });

  it('the env form passes the value as data; unsafeShellTemplates is an explicit opt-out', async () => {
    const safe = planFile(
      'safe.json',
      greet({ command: ['bash', '-c', 'echo "hello $NAME"'], env: { NAME: '{{params.name}}' } }),
    );
    await withWorker(async ({ taskQueue }) => {
      const r = await ptq([
        'start',
        '--plan',
        safe,
        '-p',
        `name=${evil}`,
        '--task-queue',
        taskQueue,
        '--wait',
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).tasks[0].output).toBe(`hello ${evil}\n`);
      // With the opt-out the plan is accepted, and the shell does parse the value: what the README warns of.
      const optOut = planFile('opt-out.json', greet({ ...unsafe.tasks[0].run, unsafeShellTemplates: true }));
      expect((await ptq(['validate', optOut])).code).toBe(0);
      const touched = join(dir, 'touched');
      const ran = await ptq([
        'start',
        '--plan',
        optOut,
        '-p',
        `name=x; touch ${touched}`,
        '--task-queue',
        taskQueue,
        '--wait',
      ]);
      expect(ran.code).toBe(0);
      expect(existsSync(touched)).toBe(true);
    });
  });
});
