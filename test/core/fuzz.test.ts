import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { Scheduler, validatePlan, type Plan } from '../../src/core';
import { patternsOverlap } from '../../src/core/plan/files';
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

/**
 * A workflow task that runs past 5 s fails again and again; the worker can crash. Every plan
 * `validate` accepts must play out within it, each task ending as it should or failing with one line.
 */
const WORKFLOW_TASK_MS = 5_000;

/**
 * Plays a validated plan out on the real scheduler, as a run does (conditions bounded, `finally`
 * last), each task succeeding with `json` as its JSON output. A round is what one workflow task of
 * a run does at worst: every running task ends at once, and the ready ones start. Returns the
 * scheduler and the longest a round (or the scheduler's creation, the run's first workflow task) took.
 */
function playOut(plan: Plan, json: unknown): { scheduler: Scheduler; longestMs: number; overlapping: string[] } {
  let begin = performance.now();
  const scheduler = Scheduler.create(plan, { boundConditions: true, finallyLast: true });
  let longestMs = performance.now() - begin;
  const running = new Set<string>();
  const overlapping: string[] = [];
  const files = new Map(plan.tasks.map((t) => [t.id, t.files ?? []] as const));
  for (let round = 0; !scheduler.isDone(); round++) {
    if (round > 3 * plan.tasks.length + 3) throw new Error('the run stalled');
    begin = performance.now();
    for (const id of [...running]) {
      scheduler.succeed(id, { endedAt: round, json, output: '' });
      running.delete(id);
    }
    for (let id = scheduler.next(); id !== undefined; id = scheduler.next()) {
      scheduler.start(id, round);
      running.add(id);
    }
    longestMs = Math.max(longestMs, performance.now() - begin);
    // Small plans: check the mutexes against the overlap itself.
    if (plan.tasks.length <= 60)
      for (const id of running)
        for (const other of running)
          for (const x of files.get(id) ?? [])
            for (const y of files.get(other) ?? [])
              if (id < other && patternsOverlap(x, y)) overlapping.push(`${id}~${other}`);
  }
  return { scheduler, longestMs, overlapping };
}

/** Every failure a run records is one line. */
function oneLineFailures(scheduler: Scheduler): string[] {
  return scheduler.state.tasks.filter((t) => t.status === 'failed').map((t) => t.error ?? '');
}

describe('bounded plans under fuzzing (issue 28): every accepted plan runs or fails with a line, in time', () => {
  /** A list: written out in the condition, or the JSON output of task "a" (known only at run time). */
  const iterable = fc.oneof(
    fc.integer({ min: 0, max: 30 }).map((n) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`),
    fc.constant('tasks.a.json'),
  );
  /** Comprehensions nested 1-6 deep, as in the issue (six `all` over 20 items crashed the worker). */
  const condition = fc
    .record({
      lists: fc.array(iterable, { minLength: 1, maxLength: 6 }),
      kinds: fc.array(fc.constantFrom('all', 'exists', 'exists_one', 'filter', 'map'), { minLength: 6, maxLength: 6 }),
      body: fc.constantFrom('true', 'v0 >= 0', 'size(tasks.a.output) == 0', 'string(v0) != "x"'),
    })
    .map(({ lists, kinds, body }) =>
      lists.reduceRight((inner, list, depth) => {
        const kind = kinds[depth];
        const v = `v${depth}`;
        const call = `${list}.${kind}(${v}, ${depth === lists.length - 1 ? body.replace(/v0/g, v) : inner})`;
        return kind === 'map' || kind === 'filter' ? `size(${call}) >= 0` : call;
      }, ''),
    );

  it('conditions: nested comprehensions over lists of up to 40 items', () => {
    let accepted = 0;
    let failed = 0;
    fc.assert(
      fc.property(condition, fc.integer({ min: 0, max: 40 }), (when, n) => {
        const checked = validatePlan({
          tasks: [
            { id: 'a', output: 'json', run: { type: 'sleep', duration: 1 } },
            { id: 'b', dependsOn: ['a'], when, run: { type: 'sleep', duration: 1 } },
            { id: 'c', dependsOn: ['b'], runIf: 'always', run: { type: 'sleep', duration: 1 } },
          ],
        });
        if (!checked.ok) {
          for (const line of checked.error) expect(line).toMatch(/^task "b": when: [^\n]+$/);
          return;
        }
        accepted++;
        const { scheduler, longestMs } = playOut(
          checked.value,
          Array.from({ length: n }, (_, i) => i),
        );
        expect(longestMs).toBeLessThan(WORKFLOW_TASK_MS);
        expect(scheduler.status()).not.toBe('running');
        for (const error of oneLineFailures(scheduler)) expect(error).toMatch(/^condition [^\n]+$/);
        if (scheduler.task('b').status === 'failed') failed++;
        expect(scheduler.task('c').status).toBe('succeeded');
      }),
      { numRuns: 300, seed: 28 },
    );
    // Both ways are exercised: plans that run, and conditions stopped by their budget at run time.
    expect(accepted).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(0);
  });

  /** Paths and globs in a tree of modules, some shared, some at the root. */
  const pattern = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: 5_000 }).map((m) => `src/pkg${m % 50}/mod${m}/*.ts`) },
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 5_000 }).map((m) => `src/pkg${m % 50}/mod${m}/index.ts`) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 49 }).map((p) => `src/pkg${p}/**`) },
    { weight: 1, arbitrary: fc.constantFrom('docs/*.md', '**/README.md', 'package.json', './src/pkg1/mod1/index.ts') },
  );

  it('files: up to 2,000 tasks with up to 3 paths or globs each (the pairwise check took 5 s at 1,000)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.array(pattern, { minLength: 1, maxLength: 3 }), { minLength: 50, maxLength: 50 }),
        fc.integer({ min: 1, max: 64 }),
        (n, shapes, m) => {
          const tasks = Array.from({ length: n }, (_, i) => ({
            id: `t${i}`,
            // Patterns of their own for most tasks (the module number moves with the task), shared ones for some.
            files: shapes[i % 50].map((f) => f.replace(/mod(\d+)/, (_, k) => `mod${(Number(k) + i) % 20_000}`)),
            run: { type: 'sleep' as const, duration: 1 },
          }));
          const started = performance.now();
          const checked = validatePlan({ maxConcurrency: m, tasks });
          const validateMs = performance.now() - started;
          expect(validateMs).toBeLessThan(WORKFLOW_TASK_MS);
          if (!checked.ok) {
            for (const line of checked.error) expect(line).toMatch(/^files: [^\n]+$/);
            return;
          }
          accepted++;
          const { scheduler, longestMs, overlapping } = playOut(checked.value, null);
          expect(longestMs).toBeLessThan(WORKFLOW_TASK_MS);
          expect(scheduler.status()).toBe('succeeded');
          expect(overlapping).toEqual([]);
        },
      ),
      // Each run plays out up to 2,000 tasks: no shrinking, the failing plan is reported as found.
      { numRuns: 15, seed: 28, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThanOrEqual(6);
  }, 600_000);
});
