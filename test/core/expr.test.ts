import { evaluateCondition, exprProblem, MAX_RUN_CONDITION_STEPS } from '../../src/core/plan/expr';
import { regexProblem } from '../../src/core/plan/celCost';

/** The bounds of conditions: what validate refuses, and what the counted budget stops at run time. */
describe('condition bounds', () => {
  const list = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('refuses deep nesting, big literal loops, unchecked or exponential regexes, and oversized expressions', () => {
    const l = `[${list(50).join(', ')}]`;
    expect(exprProblem(`L.all(a, L.all(b, L.all(c, L.all(d, true))))`)).toBe(
      'comprehensions nest 4 deep, more than 3: flatten the condition',
    );
    expect(exprProblem(`${l}.all(a, ${l}.all(b, ${l}.all(c, a + b + c >= 0)))`)).toMatch(/^takes about \d+ steps/);
    expect(exprProblem('x.matches(y)')).toMatch(/^matches\(\) takes a pattern written as a string literal/);
    expect(exprProblem('x.matches("^v[0-9]+\\\\.[0-9]+$")')).toBeUndefined();
    expect(exprProblem(Array.from({ length: 600 }, () => 'x').join(' + '))).toMatch(
      /^not a valid CEL expression: .*maxAstNodes/,
    );
    for (const bad of ['(a+)+$', '(a|aa)*b', '((ab)*c)+', '(\\w+\\s?)*$', '(a)\\1'])
      expect([bad, regexProblem(bad)]).toEqual([bad, expect.stringMatching(/exponential/)]);
    for (const fine of ['^a+b*$', '(ab)+', '(?:foo)?bar', '[(]+', '(a+)?', '\\(a+\\)+'])
      expect([fine, regexProblem(fine)]).toEqual([fine, undefined]);
  });

  it('stops a condition at its budget, counted the same every time, and the run at its total', () => {
    const costly = 'L.all(a, L.all(b, L.all(c, true)))';
    const first = { left: MAX_RUN_CONDITION_STEPS };
    const second = { left: MAX_RUN_CONDITION_STEPS };
    expect(evaluateCondition(costly, { L: list(100) }, first)).toEqual({
      ok: false,
      error: 'condition failed: over its budget of 100000 steps (iterating big lists, or nested comprehensions)',
    });
    evaluateCondition(costly, { L: list(100) }, second);
    expect(first.left).toBe(second.left);
    expect(evaluateCondition(`${costly} || true`, { L: list(100) }, { left: MAX_RUN_CONDITION_STEPS })).toMatchObject({
      ok: false,
    });
    const cheap = { left: MAX_RUN_CONDITION_STEPS };
    expect(evaluateCondition('L.all(a, a >= 0)', { L: list(100) }, cheap)).toEqual({ ok: true, value: true });
    expect(MAX_RUN_CONDITION_STEPS - cheap.left).toBeLessThan(1_000);
    expect(evaluateCondition('true', {}, { left: 0 })).toEqual({
      ok: false,
      error: `condition not evaluated: the run's conditions used their ${MAX_RUN_CONDITION_STEPS} steps`,
    });
    // Without a budget (runs from before it), conditions evaluate as they did.
    expect(evaluateCondition('L.all(a, L.all(b, true))', { L: list(400) })).toEqual({ ok: true, value: true });
  });
});
