import {
  ImportError,
  inertText,
  planId,
  withoutDone,
  type Imported,
  type ImportedTask,
  type ImportOptions,
} from './types';

/**
 * Markdown task lists: spec-kit's `tasks.md` (`- [ ] T012 [P] [US1] Title in src/x.ts`, phases as
 * headings, `- Dependency: T006–T008` sub-lines) and lists with `[P:Group-A]` markers
 * (`- [ ] 2.1 [P:Group-A] Title [Files: a.ts, b.ts]`, or `Task 4 [P:A] title`).
 *
 * Order is the dependency model, as both formats intend: a task waits for the one before it;
 * consecutive tasks marked parallel (`[P]`, or the same `[P:X]` group) wait for what came before
 * the block and run side by side; the next unmarked task waits for the whole block; a heading ends
 * every block (phases run in order). An explicit `Dependency:` line replaces the implicit order
 * for that task. A task that names an earlier task in its text ("Verify T003-T007 pass") also
 * waits for it.
 */

type Dialect = 'speckit' | 'markdown';

interface Line {
  indent: number;
  id: string;
  done: boolean;
  /** The parallel block: "*" for spec-kit's [P], the group name for [P:X], none if sequential. */
  group?: string;
  title: string;
  files: string[];
  details: string[];
  explicit?: string[];
  refs: string[];
}

const SPECKIT_TASK = /^(\s*)[-*]\s+\[([ xX~-])\]\s+(T\d+(?:\.\d+)*)\b:?\s*(.*)$/;
const GROUP_TASK = /^(\s*)(?:[-*]\s+)?(?:\[([ xX~-])\]\s+)?(?:Task\s+)?(\d+(?:\.\d+)*)\.?:?\s+(.*)$/;
const HEADING = /^#{1,6}\s/;
const DEPENDENCY = /^\s*[-*]?\s*Dependenc(?:y|ies)\s*:\s*(.*)$/i;

/** Whether markdown text is a spec-kit tasks.md or a `[P:X]` list, or neither. */
export function markdownDialect(text: string): Dialect | undefined {
  if (/^\s*[-*]\s+\[[ xX~-]\]\s+T\d+/m.test(text)) return 'speckit';
  if (/\[P:[^\]\s]+\]/.test(text)) return 'markdown';
  return undefined;
}

export function importMarkdown(text: string, options: ImportOptions = {}, name = 'tasks'): Imported {
  const dialect = markdownDialect(text);
  if (!dialect)
    throw new ImportError(
      'no tasks found: expected spec-kit lines like "- [ ] T001 [P] Title" or a list with [P:Group-A] markers',
    );
  const { lines, barriers } = parseLines(text, dialect);
  if (lines.length === 0) throw new ImportError('no tasks found in the list');
  return order(lines, barriers, dialect, options, name);
}

/** Task lines in order; `barriers` holds the index of the first task after each heading. */
function parseLines(text: string, dialect: Dialect): { lines: Line[]; barriers: Set<number> } {
  const lines: Line[] = [];
  const barriers = new Set<number>();
  let fence = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*```/.test(raw)) {
      fence = !fence;
      continue;
    }
    // spec-kit files show example commands in fences; [P:X] lists often sit inside one.
    if (fence && dialect === 'speckit') continue;
    if (HEADING.test(raw)) {
      barriers.add(lines.length);
      continue;
    }
    const m = (dialect === 'speckit' ? SPECKIT_TASK : GROUP_TASK).exec(raw);
    const isTask = m && (dialect === 'speckit' || m[2] !== undefined || /^\s*(?:[-*]\s+)?Task\s/.test(raw));
    if (m && isTask) {
      lines.push(taskLine(m, dialect));
      continue;
    }
    const last = lines.at(-1);
    if (!last || !raw.trim()) continue;
    const dep = DEPENDENCY.exec(raw);
    if (dep && /^\s/.test(raw)) last.explicit = refsIn(dep[1], dialect, true);
    else if (/^\s+\S/.test(raw)) last.details.push(raw.trim().replace(/^[-*]\s+/, ''));
  }
  return { lines, barriers };
}

function taskLine(m: RegExpExecArray, dialect: Dialect): Line {
  let rest = m[4];
  let group: string | undefined;
  const files: string[] = [];
  rest = rest.replace(/\s*\[P(?::([^\]]+))?\]\s*/g, (_all, g: string | undefined) => {
    group = g?.trim() ?? '*';
    return ' ';
  });
  rest = rest.replace(/\s*\[Files?:\s*([^\]]*)\]/gi, (_all, list: string) => {
    files.push(
      ...list
        .split(',')
        .map((f) => f.trim().replace(/^`|`$/g, ''))
        .filter(Boolean),
    );
    return '';
  });
  rest = rest.replace(/\s*\[Context:[^\]]*\]/gi, '');
  const story = /\[(US\d+)\]/.exec(rest)?.[1];
  rest = rest.replace(/\s*\[US\d+\]\s*/g, ' ').trim();
  // spec-kit names the file a task edits: "... in src/models/user.py".
  for (const f of rest.matchAll(/\bin\s+`?([\w.-]+(?:\/[\w.-]+)*\.[A-Za-z]\w*)`?/g)) files.push(f[1]);
  const title = inertText(story ? `${rest} (${story})` : rest);
  return {
    indent: m[1].replace(/\t/g, '    ').length,
    id: m[3],
    done: m[2] === 'x' || m[2] === 'X',
    group,
    title,
    files: [...new Set(files)],
    details: [],
    refs: refsIn(m[4], dialect, false),
  };
}

/** Task ids named in text; ranges "T006–T008" expand later, against the ids that exist. */
function refsIn(text: string, dialect: Dialect, explicit: boolean): string[] {
  if (/^\s*none\b/i.test(text)) return [];
  const pattern =
    dialect === 'speckit'
      ? /\b(T\d+(?:\.\d+)*)(?:\s*[–—-]\s*(T\d+(?:\.\d+)*))?/g
      : explicit
        ? /\b(?:Task\s+)?(\d+(?:\.\d+)*)(?:\s*[–—-]\s*(?:Task\s+)?(\d+(?:\.\d+)*))?/g
        : /\bTask\s+(\d+(?:\.\d+)*)(?:\s*[–—-]\s*(?:Task\s+)?(\d+(?:\.\d+)*))?/g;
  return [...text.matchAll(pattern)].map((m) => (m[2] ? `${m[1]}..${m[2]}` : m[1]));
}

function order(lines: Line[], barriers: Set<number>, dialect: Dialect, options: ImportOptions, name: string): Imported {
  const warnings: string[] = [];
  const ids = dedupe(lines, warnings);
  const position = new Map(ids.map((id, i) => [id, i]));
  const tasks: ImportedTask[] = lines.map((line, i) => ({
    id: ids[i],
    title: line.title || `task ${line.id}`,
    details: line.details.length ? inertText(line.details.join('\n')) : undefined,
    files: line.files.length ? line.files : undefined,
    dependsOn: [],
  }));

  // The implicit order: `base` is what a new block waits for, `block` the parallel tasks so far.
  let base: string[] = [];
  let block: string[] = [];
  let blockGroup: string | undefined;
  const close = () => {
    if (block.length) base = block;
    block = [];
    blockGroup = undefined;
  };
  // Open parents ([P:X] lists nest subtasks under "2.0 Parent"): each waits for its children.
  const parents: Array<{ at: number; indent: number }> = [];
  const closeParents = (indent: number) => {
    while (parents.length && parents.at(-1)!.indent >= indent) {
      const { at } = parents.pop()!;
      close();
      const children = tasks.slice(at + 1).filter((_, k) => lines[at + 1 + k].indent > lines[at].indent);
      tasks[at].dependsOn = children.map((t) => t.id);
      tasks[at].join = true;
      base = [tasks[at].id];
    }
  };
  lines.forEach((line, i) => {
    if (barriers.has(i)) {
      closeParents(-1);
      close();
    }
    closeParents(line.indent);
    const task = tasks[i];
    const isParent = lines[i + 1] !== undefined && lines[i + 1].indent > line.indent;
    if (isParent) {
      close();
      parents.push({ at: i, indent: line.indent });
      return;
    }
    if (line.group !== undefined) {
      if (block.length && blockGroup !== line.group) close();
      task.dependsOn = [...base];
      block.push(task.id);
      blockGroup = line.group;
    } else {
      close();
      task.dependsOn = [...base];
      base = [task.id];
    }
  });
  closeParents(-1);

  // Explicit dependency lines replace the implicit order; earlier tasks named in the text add to it.
  lines.forEach((line, i) => {
    const resolve = (refs: string[], who: string) =>
      refs
        .flatMap((ref) => expand(ref, ids, dialect))
        .filter((dep) => {
          const at = position.get(dep);
          if (at === undefined) warnings.push(`${who}: ${dep} is not in the list: dropped`);
          return at !== undefined && at !== i;
        });
    if (line.explicit) tasks[i].dependsOn = resolve(line.explicit, `${line.id} Dependency`);
    const earlier = resolve(line.refs, line.id).filter((dep) => (position.get(dep) ?? i) < i);
    tasks[i].dependsOn = [...new Set([...tasks[i].dependsOn, ...earlier])];
  });

  const done = new Set(options.includeDone ? [] : tasks.filter((_, i) => lines[i].done).map((t) => t.id));
  return { format: dialect, name, tasks: withoutDone(tasks, done, warnings), warnings, done: done.size };
}

/** Plan ids: the written ids, with repeats suffixed (and a warning naming them). */
function dedupe(lines: Line[], warnings: string[]): string[] {
  const used = new Set<string>();
  return lines.map((line) => {
    const id = planId(line.id);
    let unique = id;
    for (let n = 2; used.has(unique); n++) unique = `${id}-${n}`;
    if (unique !== id) warnings.push(`${line.id} appears more than once; this one is imported as ${unique}`);
    used.add(unique);
    return unique;
  });
}

/** "T006..T008" is every id from T006 to T008 in the list, dotted ones (T007.1) included. */
function expand(ref: string, ids: string[], dialect: Dialect): string[] {
  const prefix = dialect === 'speckit' ? 'T' : '';
  if (!ref.includes('..')) return [ref]; // refsIn already dropped the "Task " prefix
  const [from, to] = ref.split('..').map((r) => numeric(r, prefix));
  return ids.filter((id) => {
    const n = numeric(id, prefix);
    return !Number.isNaN(n) && n >= from && n <= Math.floor(to) + (Number.isInteger(to) ? 0.999 : 0);
  });
}

function numeric(id: string, prefix: string): number {
  const m = new RegExp(`^${prefix}(\\d+)(?:\\.(\\d+))?`).exec(id);
  return m ? Number(m[1]) + (m[2] ? Number(`0.${m[2].padStart(3, '0')}`) : 0) : NaN;
}
