import type { ASTNode } from '@marcbachmann/cel-js';

/**
 * The names a condition reads, as paths: `tasks.a.json.ok` is ['tasks', 'a', 'json', 'ok'], and
 * `tasks["a"]` reads like `tasks.a`. Names a comprehension or `cel.bind` introduces are its own,
 * not the run's, and are left out; a computed index (`tasks[x]`) ends its path. With these,
 * `validate` checks a condition's references the way it checks templates.
 */
export function conditionReads(ast: ASTNode): string[][] {
  const out: string[][] = [];
  visit(ast, new Set(), out);
  return out;
}

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

function visit(node: ASTNode, bound: Set<string>, out: string[][]): void {
  const chain = memberChain(node);
  if (chain) {
    if (chain.root.op === 'id') {
      if (!bound.has(chain.root.args)) out.push([chain.root.args, ...chain.path]);
    } else visit(chain.root, bound, out);
    return;
  }
  switch (node.op) {
    case 'value':
      return;
    case 'rcall': {
      const [name, receiver, args] = node.args;
      const variable = args[0]?.op === 'id' ? args[0].args : undefined;
      if (COMPREHENSIONS.has(name) && args.length >= 2 && variable !== undefined) {
        visit(receiver, bound, out);
        for (const a of args.slice(1)) visit(a, new Set(bound).add(variable), out);
        return;
      }
      if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && args.length === 3 && variable) {
        visit(args[1], bound, out);
        visit(args[2], new Set(bound).add(variable), out);
        return;
      }
      for (const a of [receiver, ...args]) visit(a, bound, out);
      return;
    }
    case 'call':
      for (const a of node.args[1]) visit(a, bound, out);
      return;
    case 'list':
      for (const a of node.args) visit(a, bound, out);
      return;
    case 'map':
      for (const a of node.args.flat()) visit(a, bound, out);
      return;
    case '!_':
    case '-_':
      return visit(node.args, bound, out);
    case '[]':
    case '[?]':
      // A computed index: the path ends before it, and the index is read on its own.
      for (const a of node.args) visit(a, bound, out);
      return;
    default:
      for (const a of node.args as ASTNode[]) visit(a, bound, out);
  }
}

/** A chain of field reads (`.x`, `["x"]`) down to the node it starts from, or undefined if `node` is not one. */
function memberChain(node: ASTNode): { root: ASTNode; path: string[] } | undefined {
  const path: string[] = [];
  let at = node;
  for (;;) {
    if (at.op === '.' || at.op === '.?') {
      path.unshift(at.args[1]);
      at = at.args[0];
    } else if (
      (at.op === '[]' || at.op === '[?]') &&
      at.args[1].op === 'value' &&
      typeof at.args[1].args === 'string'
    ) {
      path.unshift(at.args[1].args);
      at = at.args[0];
    } else break;
  }
  return at.op === 'id' || path.length ? { root: at, path } : undefined;
}
