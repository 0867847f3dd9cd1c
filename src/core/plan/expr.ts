import { parse, type ParseResult } from '@marcbachmann/cel-js';

/**
 * The one place that compiles and evaluates conditions (`when`). CEL is a small, sandboxed,
 * non-Turing-complete expression language: no eval, no I/O, no clock, so a condition gives the
 * same answer on every replay. It runs inside workflow code, at the moment a task's dependencies
 * have ended; a local activity would add a round trip and a history event per condition for
 * nothing, since evaluation is pure and fast (microseconds). Compiled programs are cached.
 */
const cache = new Map<string, ParseResult>();

function compile(expression: string): ParseResult {
  let program = cache.get(expression);
  if (!program) {
    program = parse(expression);
    cache.set(expression, program);
  }
  return program;
}

/** Why `expression` is not valid CEL, or undefined. */
export function exprProblem(expression: string): string | undefined {
  try {
    compile(expression);
    return undefined;
  } catch (err) {
    return `not a valid CEL expression: ${firstLine(err)}`;
  }
}

/** Evaluates a condition to a boolean; anything else, or an error, is an explained failure. */
export function evaluateCondition(
  expression: string,
  context: Record<string, unknown>,
): { ok: true; value: boolean } | { ok: false; error: string } {
  try {
    const value = compile(expression)(context);
    if (typeof value !== 'boolean') return { ok: false, error: `condition gave ${typeof value}, not true or false` };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: `condition failed: ${firstLine(err)}` };
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
