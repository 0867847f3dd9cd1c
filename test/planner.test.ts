import { planTasks } from '../src/planner';
import { FakeLlm } from './support/fakeLlm';

const SECRET = 'sk-test-SECRET-do-not-leak-123';
const goodAnswer = JSON.stringify({
  complexity: 'moderate',
  reasoning: 'Schema first, then API and UI in parallel, tests last.',
  tasks: [
    { id: 'schema', title: 'Schema', estimate: '2m', run: { type: 'shell', command: ['echo', 'schema'] } },
    {
      id: 'api',
      title: 'API',
      dependsOn: ['schema'],
      estimate: '5m',
      run: { type: 'shell', command: ['echo', 'api'] },
    },
    { id: 'ui', title: 'UI', dependsOn: ['schema'], estimate: '4m', run: { type: 'shell', command: ['echo', 'ui'] } },
    {
      id: 'tests',
      title: 'Tests',
      dependsOn: ['api', 'ui'],
      estimate: '3m',
      run: { type: 'shell', command: ['echo', 'tests'] },
    },
  ],
});
const cyclicAnswer = JSON.stringify({
  complexity: 'simple',
  reasoning: 'x',
  tasks: [
    { id: 'a', dependsOn: ['b'], run: { type: 'shell', command: ['echo', 'a'] } },
    { id: 'b', dependsOn: ['a'], run: { type: 'shell', command: ['echo', 'b'] } },
  ],
});

describe('AI planner against a local provider speaking the real wire protocols', () => {
  const fake = new FakeLlm();
  let baseUrl: string;
  beforeAll(async () => {
    baseUrl = await fake.start();
    process.env.OPENAI_API_KEY = SECRET;
    process.env.ANTHROPIC_API_KEY = SECRET;
  });
  afterAll(async () => {
    delete process.env.OPENAI_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    await fake.close();
  });

  it.each(['openai', 'anthropic'] as const)(
    '%s: turns requirements into a validated plan with usage and cost',
    async (provider) => {
      fake.reply({ text: goodAnswer });
      const model = provider === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5';
      const plan = await planTasks({ requirements: 'Build a todo app', budget: 2, provider, model, baseUrl });
      expect(plan.tasks.map((t) => t.id)).toEqual(['schema', 'api', 'ui', 'tests']);
      expect(plan.maxConcurrency).toBe(2);
      expect(plan.metadata).toMatchObject({
        planner: provider,
        model,
        complexity: 'moderate',
        usage: { calls: 1, inputTokens: 1000, outputTokens: 500 },
      });
      expect(plan.metadata?.usage?.costUsd).toBeGreaterThan(0);
      const seen = fake.requests[0];
      expect(seen.path).toBe(provider === 'openai' ? '/v1/chat/completions' : '/v1/messages');
      expect(provider === 'openai' ? seen.headers.authorization : seen.headers['x-api-key']).toContain(SECRET);
    },
  );

  it('repairs a cyclic answer by sending the validation errors back', async () => {
    fake.reply({ text: cyclicAnswer }, { text: goodAnswer });
    const plan = await planTasks({ requirements: 'Build it', provider: 'openai', baseUrl });
    expect(plan.tasks).toHaveLength(4);
    expect(fake.requests).toHaveLength(2);
    const repair = JSON.stringify(fake.requests[1].body.messages);
    expect(repair).toContain('dependency cycle: a -> b -> a');
    expect(plan.metadata?.usage?.calls).toBe(2);
  });
});
