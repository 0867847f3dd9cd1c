import picomatch from 'picomatch/posix';
import type { Plan } from './plan';

/**
 * Tasks that declare the files they edit (`files`: paths or globs) and overlap never run at once:
 * two agents editing the same file in parallel worktrees would only meet again as a merge
 * conflict. The overlap check is conservative: two globs overlap unless their fixed directories
 * part ways (`src/a/*.ts` and `src/b/*.ts` do not overlap; `src/*.ts` and `src/db.*` do).
 *
 * Comparing every pattern with every other is quadratic (2,000 plain paths took 3.4 s, 5,000 took
 * 42 s), so patterns are indexed by their fixed directory and only compared with the ones that can
 * overlap them: paths with the same path, globs whose directory is above, at or below theirs.
 * The work grows with the patterns and the overlapping pairs, not with all pairs.
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

/** The directories above a path, at each `/`: `a/b/c` gives '', 'a', 'a/b'. */
function parents(path: string): string[] {
  const out = [''];
  for (let k = path.indexOf('/'); k >= 0; k = path.indexOf('/', k + 1)) if (k > 0) out.push(path.slice(0, k));
  return out;
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Most pattern comparisons `validate` lets a plan's `files` need. A glob without a fixed directory
 * (`**\/x.ts`) has to be compared with every path: a plan that needs more comparisons than this
 * is refused rather than left to stall the start of a run. About a second of work.
 */
export const MAX_FILE_CHECKS = 1_000_000;

/**
 * The distinct patterns of a plan, in order of first use, and for each the patterns that overlap
 * it (itself included), in that order too. `complete` is false when finding them would have taken
 * more than the comparisons allowed.
 */
export interface PatternIndex {
  patterns: string[];
  overlapping: number[][];
  complete: boolean;
}

interface Shape {
  glob: boolean;
  /** The normalized path, or the glob's normalized fixed directory. */
  dir: string;
  /** Negated globs can match anywhere: they are compared with every pattern. */
  anywhere: boolean;
  matcher?: (path: string) => boolean;
}

/** Indexes the distinct patterns and finds, for each, the ones it overlaps, with `patternsOverlap`'s answers. */
export function indexPatterns(patterns: string[], maxChecks = Number.POSITIVE_INFINITY): PatternIndex {
  const paths = new Map<string, number[]>();
  const pathsBelow = new Map<string, number[]>();
  const globsAt = new Map<string, number[]>();
  const globsBelow = new Map<string, number[]>();
  const anywhere: number[] = [];
  const shapes = patterns.map((p, k): Shape => {
    const scan = picomatch.scan(p);
    const dir = normalize(scan.isGlob ? scan.base : p);
    if (p.startsWith('!') || scan.negated || scan.negatedExtglob) {
      anywhere.push(k);
      return { glob: scan.isGlob, dir, anywhere: true };
    }
    push(scan.isGlob ? globsAt : paths, dir, k);
    for (const up of parents(dir)) push(scan.isGlob ? globsBelow : pathsBelow, up, k);
    return { glob: scan.isGlob, dir, anywhere: false };
  });
  let checks = 0;
  const overlap = (k: number, q: number): boolean => {
    checks++;
    const [a, b] = [shapes[k], shapes[q]];
    if (patterns[k] === patterns[q]) return true;
    if (!a.glob && !b.glob) return a.dir === b.dir;
    if (!a.glob || !b.glob) {
      const [path, glob] = a.glob ? [q, k] : [k, q];
      const shape = shapes[glob];
      shape.matcher ??= picomatch(patterns[glob], { dot: true });
      return shape.matcher(shapes[path].dir);
    }
    return (
      a.dir === '' || b.dir === '' || a.dir === b.dir || b.dir.startsWith(`${a.dir}/`) || a.dir.startsWith(`${b.dir}/`)
    );
  };
  const overlapping: number[][] = [];
  for (let k = 0; k < patterns.length && checks <= maxChecks; k++) {
    const { glob, dir } = shapes[k];
    const found = new Set<number>([k]);
    const check = (qs: number[] | undefined) => {
      for (const q of qs ?? []) if (!found.has(q) && overlap(k, q)) found.add(q);
    };
    check(anywhere);
    // A path: the same path, and the globs whose directory holds it. A glob: the globs above, at
    // or below its directory, and the paths at or below it (every pattern is below the root '').
    // A negated glob: every pattern.
    const everywhere = shapes[k].anywhere;
    for (const up of everywhere ? [''] : [...parents(dir), dir]) check(globsAt.get(up));
    if (glob || everywhere) check(globsBelow.get(everywhere ? '' : dir));
    check(paths.get(dir));
    if (glob || everywhere) check(pathsBelow.get(everywhere ? '' : dir));
    overlapping.push([...found].sort((x, y) => x - y));
  }
  return { patterns, overlapping, complete: checks <= maxChecks };
}

/**
 * The `file:PATTERN` mutexes of each task, by task index, as indices into `patterns`: every
 * distinct pattern that one of its own overlaps, when more than one task would hold it, so two
 * overlapping tasks always share one. In pattern order, as `taskResources` lists them.
 */
export interface FileLocks {
  patterns: string[];
  held: number[][];
}

/**
 * Finds each task's file mutexes (see `FileLocks`) from each task's `files`; `complete` is false
 * when that took more than `maxChecks` comparisons, and the mutexes are then partial.
 */
export function fileLocks(
  files: Array<string[] | undefined>,
  maxChecks = Number.POSITIVE_INFINITY,
): FileLocks & { complete: boolean } {
  const patterns = [...new Set(files.flatMap((f) => f ?? []))];
  const position = new Map(patterns.map((p, k) => [p, k] as const));
  const { overlapping, complete } = indexPatterns(patterns, maxChecks);
  if (!complete) return { patterns, held: [], complete };
  const held = files.map((own) => {
    const mine = new Set<number>();
    for (const f of own ?? []) for (const q of overlapping[position.get(f) as number]) mine.add(q);
    return [...mine].sort((x, y) => x - y);
  });
  const holders = new Array<number>(patterns.length).fill(0);
  for (const list of held) for (const k of list) holders[k]++;
  return { patterns, held: held.map((list) => list.filter((k) => holders[k] > 1)), complete };
}

/**
 * Most file mutexes the tasks of a plan may hold in all. The scheduler keeps them per task and the
 * run records them in its history (see workflows/fileLocks.ts): a few per task at 50,000 tasks.
 */
export const MAX_FILE_LOCKS = 200_000;

/** Why finding a plan's file mutexes would cost too much (see the limits above), or undefined. */
export function filesProblem(plan: Pick<Plan, 'tasks'>): string | undefined {
  const files = plan.tasks.map((t) => t.files);
  if (!files.some((f) => f?.length)) return undefined;
  const locks = fileLocks(files, MAX_FILE_CHECKS);
  if (!locks.complete)
    return `files: comparing the patterns takes over ${MAX_FILE_CHECKS} checks (a glob with no fixed directory, such as **/x.ts, is checked against every path): start globs with their directory`;
  const count = locks.held.reduce((n, list) => n + list.length, 0);
  if (count > MAX_FILE_LOCKS)
    return `files: the overlapping patterns make ${count} file mutexes, over ${MAX_FILE_LOCKS}: declare fewer, broader patterns (one directory glob rather than many paths in it)`;
  return undefined;
}

/**
 * Pairs of tasks whose files overlap, in plan order, with the first pattern pair that shows it:
 * at most `limit` of them (they are for people to read; a pattern many tasks share makes many).
 */
export function fileOverlaps(
  plan: Pick<Plan, 'tasks'>,
  limit = Number.POSITIVE_INFINITY,
): { pairs: Array<{ a: string; b: string; files: [string, string] }>; more: boolean } {
  const patterns = [...new Set(plan.tasks.flatMap((t) => t.files ?? []))];
  const { overlapping } = indexPatterns(patterns);
  const position = new Map(patterns.map((p, k) => [p, k] as const));
  // Which tasks list each pattern, and where in their list.
  const users: Array<Array<{ task: number; at: number }>> = patterns.map(() => []);
  plan.tasks.forEach((t, task) =>
    (t.files ?? []).forEach((f, at) => users[position.get(f) as number].push({ task, at })),
  );
  const pairs: Array<{ a: string; b: string; files: [string, string] }> = [];
  for (let i = 0; i < plan.tasks.length; i++) {
    const own = plan.tasks[i].files ?? [];
    const found = new Map<number, [string, string]>();
    for (const x of own) {
      // For this pattern, the first pattern of each later task that it overlaps.
      const first = new Map<number, number>();
      for (const q of overlapping[position.get(x) as number])
        for (const { task, at } of users[q])
          if (task > i && !found.has(task) && at < (first.get(task) ?? Number.POSITIVE_INFINITY)) first.set(task, at);
      for (const [task, at] of first) found.set(task, [x, (plan.tasks[task].files ?? [])[at]]);
    }
    for (const task of [...found.keys()].sort((x, y) => x - y)) {
      if (pairs.length >= limit) return { pairs, more: true };
      pairs.push({ a: plan.tasks[i].id, b: plan.tasks[task].id, files: found.get(task) as [string, string] });
    }
  }
  return { pairs, more: false };
}

/** Shared by every task without a mutex: frozen, so no caller can give them all one. */
const NO_RESOURCES = Object.freeze([]) as readonly string[];

/**
 * The mutexes each task holds, by task index: its declared `resources`, its group's worktree
 * with `isolation: group`, and its file mutexes (see `FileLocks`; found here unless given).
 */
export function taskResources(plan: Pick<Plan, 'tasks' | 'workspace'>, locks?: FileLocks): Array<readonly string[]> {
  // With `isolation: group`, a group's tasks share one worktree, so they take turns in it.
  const shared = plan.workspace?.isolation === 'group';
  // Most plans hold no mutex at all: a run restored in every generation need not look for file overlaps.
  if (!plan.tasks.some((t) => t.resources?.length || t.files?.length || (shared && t.group)))
    return plan.tasks.map(() => NO_RESOURCES);
  const { patterns, held } = locks ?? fileLocks(plan.tasks.map((t) => t.files));
  const names = patterns.map((p) => `file:${p}`);
  return plan.tasks.map((task, i) => [
    ...(task.resources ?? []),
    ...(shared && task.group ? [`worktree:${task.group}`] : []),
    ...held[i].map((k) => names[k]),
  ]);
}
