import { validatePlan } from '../../src/core';
import { checkCall, toolForModel, toolUses } from '../../src/core/tools/registry';
import { fitTranscript, type Turn } from '../../src/core/tools/transcript';

/** The problems of a plan with one llm step, or [] when it is accepted. */
function problems(step: Record<string, unknown>, map?: Record<string, unknown>): string[] {
  const r = validatePlan({ tasks: [{ id: 'a', run: { type: 'llm', prompt: 'hi', ...step }, ...(map && { map }) }] });
  return r.ok ? [] : r.error;
}

describe('llm step tools', () => {
  it('accepts http and shell with an allow-list, and refuses what is not a tool', () => {
    expect(problems({ tools: ['http', { shell: { allow: ['curl', 'jq'] } }], maxSteps: 4, budgetUsd: 0.5 })).toEqual(
      [],
    );
    expect(problems({ tools: ['ftp'] }).join()).toContain('unknown tool "ftp": use http, browser, shell');
    expect(problems({ tools: ['shell'] }).join()).toContain('tool shell needs a setting');
    expect(problems({ tools: [{ shell: { allow: ['/bin/sh'] } }] }).join()).toContain('a program name without a path');
    expect(problems({ tools: [{ http: {} }] }).join()).toContain('tool http takes no setting: write it as "http"');
    expect(problems({ tools: ['http'], maxSteps: 51 }).join()).toContain('at most 50 model turns');
  });

  it('refuses tools in a batched map: the loop cannot run inside one activity', () => {
    const map = { items: ['x', 'y'], batch: 2 };
    expect(problems({}, map)).toEqual([]);
    expect(problems({ tools: ['http'] }, map).join()).toContain('not llm with tools: use batch 1');
  });

  it("checks a model's call against the step's tools, naming it for the Web UI", () => {
    const uses = toolUses(['http', { shell: { allow: ['echo'] } }]);
    expect(checkCall(uses, 'http', { url: 'https://example.org/a', method: 'POST' })).toMatchObject({
      ok: true,
      summary: 'tool http POST https://example.org/a',
    });
    expect(checkCall(uses, 'shell', { argv: ['echo', 'hi'] })).toMatchObject({
      ok: true,
      summary: 'tool shell echo hi',
    });
    expect(checkCall(uses, 'shell', { argv: ['rm', '-rf', '/'] })).toEqual({
      ok: false,
      problem: 'program "rm" is not allowed: use echo',
    });
    expect(checkCall(uses, 'http', { url: 'file:///etc/passwd' })).toMatchObject({ ok: false });
    expect(checkCall(uses, 'browser', { url: 'https://example.org' })).toEqual({
      ok: false,
      problem: 'no tool "browser" here: use http, shell',
    });
  });

  it("gives the model each tool's JSON Schema from its zod schema, without $schema", () => {
    const http = toolForModel({ name: 'http' });
    expect(http.parameters).toMatchObject({ type: 'object', required: ['url'], additionalProperties: false });
    expect(http.parameters).not.toHaveProperty('$schema');
    expect(toolForModel({ name: 'shell', setting: { allow: ['curl', 'jq'] } }).description).toContain(
      'Allowed programs: curl, jq.',
    );
  });

  it('keeps a transcript within its size by cutting the oldest tool results first', () => {
    const result = (id: string, size: number): Turn => ({
      role: 'tool',
      results: [{ id, tool: 'http', output: { status: 200, body: 'x'.repeat(size) } }],
    });
    const turns: Turn[] = [
      { role: 'assistant', text: '', calls: [{ id: '1', tool: 'http', input: { url: 'http://a' } }] },
      result('1', 5_000),
      { role: 'assistant', text: '', calls: [{ id: '2', tool: 'http', input: { url: 'http://b' } }] },
      result('2', 5_000),
    ];
    expect(fitTranscript(turns, 20_000)).toBe(turns);
    const fitted = fitTranscript(turns, 8_000);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(8_000);
    expect(JSON.stringify(fitted[1])).toContain('[cut: an older tool result');
    expect(fitted[3]).toEqual(turns[3]);
  });
});
