/**
 * "1 edge", "2 edges", "0 conflicts": a count with its noun, for every message that counts
 * something, so none says "1 tasks". `many` is for nouns that do not just take an "s".
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
