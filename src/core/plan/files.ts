import picomatch from 'picomatch/posix';
import type { Plan } from './plan';

/**
 * Tasks that declare the files they edit (`files`: paths or globs) and overlap never run at once:
 * two agents editing the same file in parallel worktrees would only meet again as a merge
 * conflict. The overlap check is conservative: two globs overlap unless their fixed directories
 * part ways (`src/a/*.ts` and `src/b/*.ts` do not overlap; `src/*.ts` and `src/db.*` do).
 */

/** Whether two path patterns can name the same file. */
export function patternsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const ga = picomatch.scan(a).isGlob;
  const gb = picomatch.scan(b).isGlob;
  if (!ga && !gb) return normalize(a) === normalize(b);
  if (!ga) return picomatch.isMatch(normalize(a), b, { dot: true });
  if (!gb) return picomatch.isMatch(normalize(b), a, { dot: true });
  const ba = normalize(picomatch.scan(a).base);
  const bb = normalize(picomatch.scan(b).base);
  return ba === '' || bb === '' || ba === bb || bb.startsWith(`${ba}/`) || ba.startsWith(`${bb}/`);
}

function normalize(path: string): string {
  return path.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** Every pair of tasks whose files overlap, with one pattern pair that shows it. */
export function fileOverlaps(plan: Pick<Plan, 'tasks'>): Array<{ a: string; b: string; files: [string, string] }> {
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

/**
 * The mutexes each task holds, by task index: its declared `resources`, plus `file:PATTERN` for
 * every declared pattern its own files overlap (its own patterns included), so two overlapping
 * tasks always share one. A pattern only one task would hold is left out.
 */
export function taskResources(plan: Pick<Plan, 'tasks' | 'workspace'>): string[][] {
  // With `isolation: group`, a group's tasks share one worktree, so they take turns in it.
  const shared = plan.workspace?.isolation === 'group';
  const patterns = [...new Set(plan.tasks.flatMap((t) => t.files ?? []))];
  const held = plan.tasks.map((task) => patterns.filter((p) => task.files?.some((f) => patternsOverlap(f, p))));
  const holders = new Map<string, number>();
  for (const list of held) for (const p of list) holders.set(p, (holders.get(p) ?? 0) + 1);
  return plan.tasks.map((task, i) => [
    ...(task.resources ?? []),
    ...(shared && task.group ? [`worktree:${task.group}`] : []),
    ...held[i].filter((p) => (holders.get(p) ?? 0) > 1).map((p) => `file:${p}`),
  ]);
}
