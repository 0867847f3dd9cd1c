import { AUTO_INLINE_BELOW_MS, executionOf, Plan } from '../../src/core';

const task = (extra: Record<string, unknown>) =>
  Plan.parse({ tasks: [{ id: 't', run: { type: 'shell', command: ['true'] }, ...extra }] }).tasks[0];

describe('execution: auto', () => {
  it('runs short tasks inline and long ones as a child, by estimate', () => {
    expect(executionOf(task({}), 'auto')).toBe('inline'); // no estimate: 1 s
    expect(executionOf(task({ estimate: AUTO_INLINE_BELOW_MS - 1 }), 'auto')).toBe('inline');
    expect(executionOf(task({ estimate: AUTO_INLINE_BELOW_MS }), 'auto')).toBe('child');
    expect(executionOf(task({ estimate: '2h' }), 'auto')).toBe('child');
  });

  it('gives llm and agent steps a child of their own, however short', () => {
    const llm = { type: 'llm', prompt: 'summarize' };
    const agent = { type: 'agent', agent: 'claude', prompt: 'fix it' };
    expect(executionOf(task({ estimate: 100, run: llm }), 'auto')).toBe('child');
    expect(executionOf(task({ estimate: 100, run: [{ type: 'shell', command: ['true'] }, agent] }), 'auto')).toBe(
      'child',
    );
  });

  it('keeps what the plan says when it says child or inline', () => {
    expect(executionOf(task({ estimate: '1h' }), 'inline')).toBe('inline');
    expect(executionOf(task({}), 'child')).toBe('child');
    expect(
      Plan.parse({ tasks: [{ id: 't', execution: 'auto', run: { type: 'sleep', duration: 0 } }] }).tasks[0].execution,
    ).toBe('auto');
  });
});
