import { Environment, parse, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import { celProblems } from './celCost';

/**
 * The one place that compiles and evaluates conditions (`when`, map `until`/`while`). CEL is a
 * small, sandboxed, non-Turing-complete expression language: no eval, no I/O, no clock, so a
 * condition gives the same answer on every replay. It runs inside workflow code, at the moment a
 * task's dependencies have ended; a local activity would add a round trip and a history event per
 * condition for nothing, since evaluation is pure and fast. Compiled programs are cached.
 *
 * Not-Turing-complete is not cheap, though: six nested `all` over 20 items is 64 million steps,
 * enough to run a workflow task past its deadline and crash the worker. So conditions are bounded:
 * at parse time (size and nesting of the expression, see `LIMITS` and `celProblems`), and while
 * they run, by a count of steps, so a condition over its budget fails with one line, and fails the
 * same way on replay. Runs from before the budget evaluate as they did (`evaluateCondition`
 * without a budget).
 */

/** Most steps one condition may take: a step is one node evaluated, plus 1 per 16 items or characters it yields. */
export const MAX_CONDITION_STEPS = 100_000;
/** Most steps the conditions of one run (or one map) may take together: about a second or two of CPU. */
export const MAX_RUN_CONDITION_STEPS = 5_000_000;

/** Parse-time limits of a bounded condition (the library's own, lowered). */
const LIMITS = { maxAstNodes: 1_000, maxDepth: 32, maxListElements: 1_000, maxMapEntries: 1_000, maxCallArguments: 32 };

/** The steps left to a run's conditions; `evaluateCondition` takes what it uses. */
export interface ConditionBudget {
  left: number;
}

const legacy = new Map<string, ParseResult>();
const bounded = new Map<string, ParseResult | string>();

/** What the metered evaluator counts down; undefined outside a bounded evaluation. */
let meter: { left: number } | undefined;

/**
 * The environment of bounded conditions, made when the first one compiles: every workflow loads
 * this module (its own copy: see temporal/workflowBundle.ts), and most, a child task's, have none.
 */
let made: Environment | undefined;
function environment(): Environment {
  if (!made) made = meterEvaluator(new Environment({ unlistedVariablesAreDyn: true, limits: LIMITS }));
  return made;
}

/**
 * Every node of an expression is evaluated through the environment's evaluator's `run` (children
 * and comprehension steps included). The library does not export the evaluator, but a function
 * it calls gets it as `this`: that is how its `run` is wrapped with the step count, once.
 */
function meterEvaluator(env: Environment): Environment {
  type Evaluator = { run: (ast: ASTNode, ctx: unknown) => unknown };
  let wrapped = false;
  const wrap = (evaluator: Evaluator) => {
    if (wrapped) return;
    wrapped = true;
    const run = evaluator.run;
    evaluator.run = function (ast, ctx) {
      if (meter && --meter.left < 0) throw new Error('over budget');
      const value = run.call(this, ast, ctx);
      if (meter) meter.left -= sizeSteps(value);
      return value;
    };
  };
  env.registerFunction('__ptq_evaluator(): bool', function (this: Evaluator) {
    wrap(this);
    return true;
  });
  env.evaluate('__ptq_evaluator()', {});
  return env;
}

/** What a value costs beyond its node: 1 step per 16 items, entries or characters. */
function sizeSteps(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length >> 4;
  if (value instanceof Map) return value.size >> 4;
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array))
    return Object.keys(value).length >> 4;
  return 0;
}

/** The bounded program of an expression, or why it is refused. */
function compile(expression: string): ParseResult | string {
  let program = bounded.get(expression);
  if (program === undefined) {
    try {
      const parsed = environment().parse(expression);
      const problems = celProblems(parsed.ast, MAX_CONDITION_STEPS);
      program = problems.length ? problems[0] : parsed;
    } catch (err) {
      program = `not a valid CEL expression: ${firstLine(err)}`;
    }
    bounded.set(expression, program);
  }
  return program;
}

/** Why `expression` is not a valid, bounded condition, or undefined. */
export function exprProblem(expression: string): string | undefined {
  const program = compile(expression);
  return typeof program === 'string' ? program : undefined;
}

/** The parsed expression, for checks of what it refers to; undefined if it does not parse. */
export function exprAst(expression: string): ASTNode | undefined {
  const program = compile(expression);
  return typeof program === 'string' ? undefined : program.ast;
}

/**
 * Evaluates a condition to a boolean; anything else, or an error, is an explained failure. With a
 * budget, it takes at most MAX_CONDITION_STEPS of it; without one (runs from before budgets), the
 * condition is evaluated unbounded, as it was then.
 */
export function evaluateCondition(
  expression: string,
  context: Record<string, unknown>,
  budget?: ConditionBudget,
): { ok: true; value: boolean } | { ok: false; error: string } {
  if (!budget) return check(() => legacyProgram(expression)(context));
  if (budget.left <= 0)
    return {
      ok: false,
      error: `condition not evaluated: the run's conditions used their ${MAX_RUN_CONDITION_STEPS} steps`,
    };
  const program = compile(expression);
  if (typeof program === 'string') return { ok: false, error: `condition failed: ${program}` };
  const limit = Math.min(MAX_CONDITION_STEPS, budget.left);
  meter = { left: limit };
  try {
    const result = check(() => program(context));
    const used = limit - meter.left;
    budget.left -= Math.min(used, limit);
    if (meter.left < 0)
      return {
        ok: false,
        error: `condition failed: over its budget of ${limit} steps (iterating big lists, or nested comprehensions)`,
      };
    return result;
  } finally {
    meter = undefined;
  }
}

function check(evaluate: () => unknown): { ok: true; value: boolean } | { ok: false; error: string } {
  try {
    const value = evaluate();
    if (typeof value !== 'boolean') return { ok: false, error: `condition gave ${typeof value}, not true or false` };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: `condition failed: ${firstLine(err)}` };
  }
}

function legacyProgram(expression: string): ParseResult {
  let program = legacy.get(expression);
  if (!program) {
    program = parse(expression);
    legacy.set(expression, program);
  }
  return program;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
