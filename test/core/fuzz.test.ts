import fc from 'fast-check';
import { validatePlan } from '../../src/core';
import { mutatedPlan, validPlan } from '../support/planArbitraries';

/**
 * Property tests of `validate` over thousands of generated plans: it never throws, and every
 * rejection is one line that names the field and says what it expects.
 */
describe('validate under fuzzing (fast-check)', () => {
  it('accepts every well-formed generated plan', () => {
    fc.assert(
      fc.property(validPlan, (plan) => {
        const r = validatePlan(plan);
        if (!r.ok) throw new Error(`rejected a good plan: ${r.error.join('; ')}`);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it('explains every rejection of 7,000 mutated plans (at least 5,000 of them invalid) in one line that names the field', () => {
    let rejected = 0;
    fc.assert(
      fc.property(mutatedPlan, (plan) => {
        const r = validatePlan(plan); // must not throw
        if (r.ok) return;
        rejected++;
        for (const line of r.error) {
          expect(line).not.toMatch(/Invalid input|Invalid option|\n|^\s*at /);
          expect(line.length).toBeGreaterThan(10);
          // Every line says where: a task, a field path, or the plan as a whole.
          expect(line).toMatch(
            /^(plan: |task "|tasks|[a-zA-Z$]+[.:[]|a plan must|dependency cycle|duplicate task id|group ")/,
          );
        }
      }),
      { numRuns: 7_000, seed: 42 },
    );
    expect(rejected).toBeGreaterThanOrEqual(5_000);
  });

  it('never crashes on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const r = validatePlan(value);
        if (!r.ok) for (const line of r.error) expect(line).not.toMatch(/Invalid input|\n/);
      }),
      { numRuns: 2_000, seed: 7 },
    );
  });
});
