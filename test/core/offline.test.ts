import { planTasks } from '../../src/planner';

const offline = (requirements: string, extra: object = {}) =>
  planTasks({ requirements, provider: 'offline', ...extra });
const deps = (plan: Awaited<ReturnType<typeof offline>>) =>
  Object.fromEntries(plan.tasks.map((t) => [t.id, t.dependsOn]));

describe('offline planner (heuristic, no network)', () => {
  it('runs numbered items in order and labels itself as a heuristic', async () => {
    const plan = await offline('1. Set up the repo\n2. Write the parser\n3. Write the tests', { budget: 2 });
    expect(plan.tasks.map((t) => t.id)).toEqual(['set-up-the-repo', 'write-the-parser', 'write-the-tests']);
    expect(deps(plan)).toEqual({
      'set-up-the-repo': [],
      'write-the-parser': ['set-up-the-repo'],
      'write-the-tests': ['write-the-parser'],
    });
    expect(plan.metadata).toMatchObject({ planner: 'offline (heuristic)', complexity: 'simple' });
    expect(plan.maxConcurrency).toBe(2);
  });

  it('treats bullets as independent and reads "after X" / "depends on X"', async () => {
    const plan = await offline(
      '- Design the schema ~10m\n- Build the API (after design the schema)\n- Build the UI, depends on 1\n- Write docs\n- Release after API and UI',
    );
    expect(deps(plan)).toEqual({
      'design-the-schema': [],
      'build-the-api': ['design-the-schema'],
      'build-the-ui': ['design-the-schema'],
      'write-docs': [],
      release: ['build-the-api', 'build-the-ui'],
    });
    expect(plan.tasks[0].estimate).toBe(600_000);
  });

  it('runs [P:Group-X] items together, after what came before, and before what follows', async () => {
    const plan = await offline(
      '1. Prepare data\n2. Train model A [P:Group-A]\n3. Train model B [P:Group-A]\n4. Train model C [P:Group-A]\n5. Compare models',
    );
    expect(deps(plan)).toEqual({
      'prepare-data': [],
      'train-model-a': ['prepare-data'],
      'train-model-b': ['prepare-data'],
      'train-model-c': ['prepare-data'],
      'compare-models': ['train-model-a', 'train-model-b', 'train-model-c'],
    });
    expect(plan.tasks[1].group).toBe('Group-A');
  });

  it('makes shell steps from backticked commands (argv, no shell) and llm steps from the rest', async () => {
    const plan = await offline('* Install with `npm ci --no-audit`\n* Summarize the changelog', {
      hints: { cwd: '/repo' },
    });
    expect(plan.tasks[0].run).toEqual({ type: 'shell', command: ['npm', 'ci', '--no-audit'], cwd: '/repo' });
    expect(plan.tasks[1].run).toEqual({ type: 'llm', prompt: 'Summarize the changelog' });
  });

  it('respects maxTasks, gives unique ids, and handles prose without a list', async () => {
    const many = await offline(Array.from({ length: 12 }, () => '- Check a link').join('\n'), {
      hints: { maxTasks: 10 },
    });
    expect(many.tasks).toHaveLength(10);
    expect(new Set(many.tasks.map((t) => t.id)).size).toBe(10);
    expect(many.metadata?.complexity).toBe('complex');
    const prose = await offline('Just make the build green.');
    expect(prose.tasks).toHaveLength(1);
  });
});
