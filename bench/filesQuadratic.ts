import { patternsOverlap } from '../src/core/plan/files';

/**
 * The overlap computation of `files` as it was before the pattern index (src/core/files.ts): every
 * pattern against every task's patterns, and every pair of tasks. Kept as the reference the bench
 * (`--only files`) times the index against, and the tests check it gives the same answer.
 */

/** What these read of a plan: each task's id and files. */
type Tasks = { tasks: Array<{ id: string; files?: string[] }> };

/** Every pair of tasks whose files overlap, with one pattern pair that shows it. */
export function quadraticOverlaps(plan: Tasks): Array<{ a: string; b: string; files: [string, string] }> {
  const out: Array<{ a: string; b: string; files: [string, string] }> = [];
  const withFiles = plan.tasks.filter((t) => t.files?.length);
  for (let i = 0; i < withFiles.length; i++) {
    for (let j = i + 1; j < withFiles.length; j++) {
      const hit = firstOverlap(withFiles[i].files ?? [], withFiles[j].files ?? []);
      if (hit) out.push({ a: withFiles[i].id, b: withFiles[j].id, files: hit });
    }
  }
  return out;
}

function firstOverlap(a: string[], b: string[]): [string, string] | undefined {
  for (const x of a) for (const y of b) if (patternsOverlap(x, y)) return [x, y];
  return undefined;
}

/** The `file:PATTERN` mutexes of each task, by task index (resources and worktrees left out). */
export function quadraticFileLocks(plan: Tasks): string[][] {
  const patterns = [...new Set(plan.tasks.flatMap((t) => t.files ?? []))];
  const held = plan.tasks.map((task) => patterns.filter((p) => task.files?.some((f) => patternsOverlap(f, p))));
  const holders = new Map<string, number>();
  for (const list of held) for (const p of list) holders.set(p, (holders.get(p) ?? 0) + 1);
  return held.map((list) => list.filter((p) => (holders.get(p) ?? 0) > 1).map((p) => `file:${p}`));
}
