import type { SchedulerState, TaskRecord } from './state';
import { TASK_STATUSES } from './status';

/**
 * The scheduler state as it crosses continue-as-new: its task records as columns. A record per
 * task repeats every field name in every task, and a 50,000-task run halfway through carried 5 MB
 * of such JSON that the next generation had to parse and rebuild in its first workflow task. As
 * columns the same state is about half as much JSON, mostly arrays of numbers, which parse fastest
 * (`npm run bench -- --only generation`).
 */
export interface CarriedState extends Omit<SchedulerState, 'tasks'> {
  tasks?: undefined;
  columns: TaskColumns;
}

interface TaskColumns {
  /** Each task's status, as its index in TASK_STATUSES. */
  status: number[];
  /** Fields most tasks have: one value per task, null where a task has none. */
  dense: Record<string, unknown[]>;
  /** Fields few tasks have, and those that may hold null (such as `json`): by task index. */
  sparse: Record<string, Record<number, unknown>>;
}

type Fields = Record<string, unknown>;

/** The state to carry: a new object whose columns are made from the live task records. */
export function toCarried(state: SchedulerState): CarriedState {
  const { tasks, ...rest } = state;
  const present = new Map<string, number>();
  // A dense column says "absent" with null, so a field that holds null somewhere must be sparse.
  const holdsNull = new Set<string>();
  for (const t of tasks as unknown as Fields[])
    for (const key in t) {
      present.set(key, (present.get(key) ?? 0) + 1);
      if (t[key] === null) holdsNull.add(key);
    }
  present.delete('status');
  const columns: TaskColumns = { status: tasks.map((t) => statusCode(t.status)), dense: {}, sparse: {} };
  for (const [field, count] of present) {
    const records = tasks as unknown as Fields[];
    if (count * 2 >= tasks.length && !holdsNull.has(field)) {
      columns.dense[field] = records.map((t) => t[field] ?? null);
    } else {
      const values: Record<number, unknown> = (columns.sparse[field] = {});
      records.forEach((t, i) => {
        if (Object.hasOwn(t, field)) values[i] = t[field];
      });
    }
  }
  return { ...rest, columns };
}

/** The live state again, from either form: runs that continued before columns carried records. */
export function fromCarried(carried: SchedulerState | CarriedState): SchedulerState {
  if (!('columns' in carried)) return carried;
  const { columns, tasks: _records, ...rest } = carried;
  // Row by row, so every record gets its fields in the same order (one shape for all of them).
  const fields = Object.keys(columns.dense);
  const dense = fields.map((f) => columns.dense[f]);
  const records: Fields[] = columns.status.map((code, i) => {
    const r: Fields = { status: TASK_STATUSES[code] };
    for (let k = 0; k < fields.length; k++) if (dense[k][i] !== null) r[fields[k]] = dense[k][i];
    return r;
  });
  for (const [field, values] of Object.entries(columns.sparse)) for (const i in values) records[+i][field] = values[i];
  return { ...rest, tasks: records as unknown as TaskRecord[] };
}

function statusCode(status: TaskRecord['status']): number {
  const code = TASK_STATUSES.indexOf(status);
  if (code < 0) throw new Error(`unknown task status ${status}`);
  return code;
}
