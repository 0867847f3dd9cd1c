/**
 * Group phases: `groups.api.before` runs once before any task of group "api" starts, and
 * `groups.api.after` once all of them have ended. Both become ordinary tasks of the plan
 * (`api:before`, `api:after`), wired in with dependencies, so the scheduler, retries, workspaces,
 * status and replay need nothing new:
 *
 * - the group's tasks depend on `api:before`, which depends on what all of them wait for; a
 *   failing `before` therefore skips the whole group;
 * - `api:after` depends on every task of the group with `runIf: always`, and the tasks outside
 *   the group that depend on one inside now also wait for `api:after`, so a failing `after` skips
 *   them as any failed dependency would.
 */

export const PHASES = ['before', 'after'] as const;
export type PhaseKind = (typeof PHASES)[number];

export function phaseTaskId(group: string, kind: PhaseKind): string {
  return `${group}:${kind}`;
}

/** The fields of a parsed task this transform reads and writes. */
interface TaskLike {
  id: string;
  title?: string;
  dependsOn: string[];
  priority: number;
  group?: string;
  final?: boolean;
  runIf?: 'success' | 'always' | 'failure';
  phase?: { group: string; kind: PhaseKind };
  run: unknown;
}

/** Adds the phase tasks of every group that has any; `problems` say why a group cannot have them. */
export function expandGroupPhases<T extends TaskLike>(
  tasks: T[],
  groups: Record<string, Partial<Record<PhaseKind, T['run']>>>,
): { tasks: T[]; problems: Array<{ group: string; message: string }> } {
  const problems: Array<{ group: string; message: string }> = [];
  const out = tasks.map((t) => ({ ...t, dependsOn: [...t.dependsOn] }));
  const byId = new Map(out.map((t) => [t.id, t]));

  for (const [group, phases] of Object.entries(groups)) {
    if (phases.before === undefined && phases.after === undefined) continue;
    const ancestors = ancestorFinder(byId); // fresh per group: the previous one added edges
    const problem = (message: string) => problems.push({ group, message });
    const members = out.filter((t) => t.group === group && !t.final);
    if (members.length === 0) {
      problem(`group "${group}" has before/after steps but no tasks: set "group": "${group}" on its tasks`);
      continue;
    }
    if (!/^[A-Za-z0-9][\w.-]*$/.test(group)) {
      problem(`group "${group}" has phases, so its name becomes a task id: use letters, digits, "_", "." and "-"`);
      continue;
    }
    const taken = PHASES.map((k) => phaseTaskId(group, k)).find((id) => byId.has(id));
    if (taken) {
      problem(`task id "${taken}" is what ptq names group "${group}"'s phase: rename that task`);
      continue;
    }
    const inGroup = new Set(members.map((m) => m.id));
    const phaseTask = (kind: PhaseKind, dependsOn: string[]) =>
      ({
        id: phaseTaskId(group, kind),
        title: `${group}: ${kind}`,
        dependsOn,
        priority: 0,
        run: phases[kind],
        phase: { group, kind },
      }) as T;

    if (phases.before !== undefined) {
      // What every task of the group waits for, minus what is implied by the rest of it.
      const common = intersect(members.map((m) => without(ancestors(m.id), inGroup)));
      const latest = [...common].filter((c) => ![...common].some((o) => o !== c && ancestors(o).has(c)));
      const before = phaseTask('before', latest);
      for (const m of members) m.dependsOn.push(before.id);
      out.push(before);
      byId.set(before.id, before);
    }
    if (phases.after !== undefined) {
      const after = { ...phaseTask('after', [...inGroup]), runIf: 'always' as const };
      const upstream = new Set(members.flatMap((m) => [...ancestors(m.id)]));
      for (const t of out) {
        const inside = t.dependsOn.find((d) => inGroup.has(d));
        if (inGroup.has(t.id) || t.phase || inside === undefined) continue;
        if (upstream.has(t.id)) {
          problem(
            `task "${t.id}" depends on "${inside}" of group "${group}" and another task of the group depends on it, so "after" could never run last: put "${t.id}" in the group`,
          );
          continue;
        }
        t.dependsOn.push(after.id);
      }
      out.push(after);
      byId.set(after.id, after);
    }
  }
  return { tasks: out, problems };
}

/** Memoized transitive dependencies; unknown ids and cycles are left for validation to report. */
function ancestorFinder(byId: Map<string, TaskLike>): (id: string) => Set<string> {
  const memo = new Map<string, Set<string>>();
  return (root) => {
    const cached = memo.get(root);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...(byId.get(root)?.dependsOn ?? [])];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id) || !byId.has(id)) continue;
      seen.add(id);
      stack.push(...byId.get(id)!.dependsOn);
    }
    memo.set(root, seen);
    return seen;
  };
}

function without<T>(set: Set<T>, drop: Set<T>): Set<T> {
  return new Set([...set].filter((x) => !drop.has(x)));
}

function intersect<T>(sets: Set<T>[]): Set<T> {
  const [first, ...rest] = sets;
  return new Set([...first].filter((x) => rest.every((s) => s.has(x))));
}
