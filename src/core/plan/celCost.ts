import type { ASTNode } from '@marcbachmann/cel-js';

/**
 * What `validate` can tell of a condition's cost before it runs, from its parsed form: how deeply
 * its comprehensions nest, how many steps it takes over the lists it spells out (a list from the
 * run's data counts as one item here; the step count bounds those while it runs, see expr.ts),
 * and whether its regular expressions can backtrack exponentially (JavaScript's engine is not
 * linear, and one `matches` is one step).
 */

/** Deepest nesting of comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`). */
export const MAX_COMPREHENSION_NESTING = 3;

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** Problems of a parsed condition, one line each; empty when it is within bounds. */
export function celProblems(ast: ASTNode, maxSteps: number): string[] {
  const problems: string[] = [];
  const { steps, nesting } = walk(ast, problems);
  if (nesting > MAX_COMPREHENSION_NESTING)
    problems.push(`comprehensions nest ${nesting} deep, more than ${MAX_COMPREHENSION_NESTING}: flatten the condition`);
  else if (steps > maxSteps)
    problems.push(`takes about ${steps} steps over its own lists, more than the ${maxSteps} a condition may take`);
  return problems;
}

/** Steps (literal lists at their size, other lists as one item) and comprehension nesting of a node. */
function walk(node: ASTNode, problems: string[]): { steps: number; nesting: number } {
  const sum = (nodes: ASTNode[]) =>
    nodes.reduce(
      (acc, n) => {
        const r = walk(n, problems);
        return { steps: acc.steps + r.steps, nesting: Math.max(acc.nesting, r.nesting) };
      },
      { steps: 1, nesting: 0 },
    );
  switch (node.op) {
    case 'value':
    case 'id':
      return { steps: 1, nesting: 0 };
    case '.':
    case '.?':
      return sum([node.args[0]]);
    case '!_':
    case '-_':
      return sum([node.args]);
    case 'list':
      return sum(node.args);
    case 'map':
      return sum(node.args.flat());
    case 'call':
      if (node.args[0] === 'matches') regexCheck(node.args[1][1], problems);
      return sum(node.args[1]);
    case 'rcall': {
      const [name, receiver, args] = node.args;
      if (name === 'matches') regexCheck(args[0], problems);
      if (!COMPREHENSIONS.has(name) || args.length < 2) return sum([receiver, ...args]);
      const over = walk(receiver, problems);
      const body = sum(args.slice(1));
      return {
        steps: over.steps + literalSize(receiver) * body.steps,
        nesting: Math.max(over.nesting, body.nesting + 1),
      };
    }
    default:
      return sum(node.args as ASTNode[]);
  }
}

/** Items of a list or map written out in the expression; 1 for any other (its size is known only at run time). */
function literalSize(node: ASTNode): number {
  return node.op === 'list' || node.op === 'map' ? Math.max(1, node.args.length) : 1;
}

function regexCheck(pattern: ASTNode | undefined, problems: string[]): void {
  if (pattern?.op !== 'value' || typeof pattern.args !== 'string') {
    problems.push('matches() takes a pattern written as a string literal, so it can be checked before the run');
    return;
  }
  const problem = regexProblem(pattern.args);
  if (problem) problems.push(`matches("${pattern.args}"): ${problem}`);
}

/**
 * Why a regular expression may backtrack exponentially, or undefined: a repeated group that
 * itself repeats or alternates (`(a+)+`, `(a|aa)*`), or a backreference. Such patterns take
 * longer than any workflow task may on a few dozen characters.
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression (${err instanceof Error ? err.message : String(err)})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences can take exponential time: match without them';
  /** For each open group: whether it repeats or alternates inside. */
  const open: boolean[] = [];
  let closedRisky = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const afterRisky = closedRisky;
    closedRisky = false;
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') {
      open.push(false);
      // `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`: the `?` is not a quantifier.
      if (pattern[i + 1] === '?') i += pattern[i + 2] === '<' ? pattern.slice(i).search(/[>=!]/) : 2;
    } else if (c === ')') {
      closedRisky = open.pop() ?? false;
      if (closedRisky && open.length) open[open.length - 1] = true;
    } else if (c === '*' || c === '+' || c === '{' || c === '|' || c === '?') {
      if (afterRisky && c !== '?' && c !== '|')
        return 'a repeated group that repeats inside can take exponential time: repeat one or the other';
      if (open.length) open[open.length - 1] = true;
    }
  }
  return undefined;
}
