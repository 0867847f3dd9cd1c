import fc from 'fast-check';

/**
 * fast-check generators of plans: well-formed ones (small sleeps and shell steps, so they run in
 * well under a second) and malformed ones made by one mutation of a well-formed plan. Mutating a
 * good plan reaches deep fields that purely random JSON almost never does.
 */

const id = fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/);
const duration = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('1ms', '10ms', '20ms'));

const step = fc.oneof(
  fc.record({ type: fc.constant('sleep'), duration }),
  fc.record({ type: fc.constant('shell'), command: fc.constant(['true']) }),
);

/** A valid plan of 1–8 tasks whose dependencies point backwards, so it has no cycle. */
export const validPlan = fc
  .record({
    ids: fc.uniqueArray(id, { minLength: 1, maxLength: 8 }),
    steps: fc.array(fc.oneof(step, fc.array(step, { minLength: 1, maxLength: 2 })), { minLength: 8, maxLength: 8 }),
    deps: fc.array(fc.array(fc.nat(7), { maxLength: 3 }), { minLength: 8, maxLength: 8 }),
    maxConcurrency: fc.integer({ min: 1, max: 4 }),
    onFailure: fc.constantFrom('continue', 'fail-fast'),
    withGroup: fc.boolean(),
  })
  .map(({ ids, steps, deps, maxConcurrency, onFailure, withGroup }) => ({
    maxConcurrency,
    onFailure,
    groups: withGroup ? { g: { maxConcurrency: 1 } } : {},
    tasks: ids.map((taskId, i) => ({
      id: taskId,
      dependsOn: [...new Set(deps[i].filter((d) => d < i).map((d) => ids[d]))],
      run: steps[i],
      ...(withGroup && i % 2 === 0 ? { group: 'g' } : {}),
      retry: { maximumAttempts: 1 },
    })),
  }));

type Json = unknown;

/** Every path (as keys) into a JSON value. */
function pathsOf(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function setAt(
  root: Json,
  path: Array<string | number>,
  change: (parent: Record<string | number, Json>, key: string | number) => void,
): Json {
  const copy = structuredClone(root) as Record<string | number, Json>;
  if (path.length === 0) return copy;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  change(parent, path[path.length - 1]);
  return copy;
}

/** Values people (and models) put in the wrong place. */
const wrongValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e12, '', 'x', '__proto__', '2m', 'constructor', [], {}, [[]]),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A plan with one thing broken: a value replaced, a required key removed or an unknown key added. */
export const mutatedPlan = fc
  .tuple(
    validPlan,
    fc.nat(),
    fc.constantFrom('replace', 'delete', 'unknown-key'),
    wrongValue,
    fc.string({ minLength: 1, maxLength: 10 }),
  )
  .map(([plan, pick, how, value, key]) => {
    const paths = pathsOf(plan);
    const path = paths[pick % paths.length];
    switch (how) {
      case 'replace':
        return path.length === 0 ? value : setAt(plan, path, (p, k) => (p[k] = value));
      case 'delete':
        return setAt(plan, path, (p, k) => (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k]));
      case 'unknown-key':
        return setAt(plan, path, (p, k) => {
          const target = p[k];
          if (target && typeof target === 'object' && !Array.isArray(target))
            (target as Record<string, Json>)[`${key}_`] = value;
          else p[k] = value;
        });
    }
  });
