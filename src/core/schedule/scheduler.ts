import { taskResources, type FileLocks } from '../plan/files';
import { buildGraph, type Graph } from './graph';
import { heapPop, heapPush, heapRemove, type Key } from './heap';
import { assertConcurrency, MAX_RUNNING_TASKS } from '../plan/limits';
import { decideRun } from './runDecision';
import { MAX_PLANNED_TASKS, nodesWithinGain, searchSchedule } from './plannedSchedule';
import { JUSTIFY_STEPS, searchJustified } from './justify';
import { listSchedule, searchPriority, SEARCH_STEP_MS } from './priority';
import type { RetryOf } from './retryOf';
import type { Plan, Policy } from '../plan/plan';
import { toleratedCount } from './tolerance';
import type { AdaptiveBounds } from './adaptiveConcurrency';
import { runAutoEnded, runAutoLimit, runAutoStarted, startRunAuto } from './runConcurrency';
import type { Halt, SchedulerState, TaskOutcome, TaskRecord } from './state';
import { emptyCounts, isTerminal, type RunStatus, type TaskStatus } from './status';

export type { Halt, MergeRecord, SchedulerState, TaskOutcome, TaskRecord } from './state';

/**
 * Output tail kept per task in scheduler state (full output stays in the child's history). The
 * state crosses continue-as-new as one payload, so the budget is shared: 2,000 characters per task
 * for small plans, less for big ones, about 500 KB in all.
 */
export function outputTailChars(tasks: number): number {
  return Math.max(32, Math.min(2_000, Math.floor(500_000 / tasks)));
}
/** Error message kept per task: the same shared-budget idea, about 250 KB in all. */
function errorChars(tasks: number): number {
  return Math.max(80, Math.min(1_000, Math.floor(250_000 / tasks)));
}
const RECENT_FAILURES = 10;
/** How far past its estimate (or 10% of it, if more) a task may run before a planned schedule is dropped. */
const OVERRUN_MS = 1_000;

/** The seed of a plan's critical-path search: its name, so every run of it, and `ptq simulate`, get the same order. */
export function prioritySeed(plan: Plan): string {
  return plan.name;
}

/** The generation of runs started today (see `startSearch`). */
export const SEARCH_GENERATION = 4;

/**
 * What a run searches at its start, by its generation: each one added a search, and a recorded run
 * must replay with the searches it made. 0: none, longest path first; 1: a critical-path order
 * (`searchPriority`); 2: also a planned schedule that idles a slot (`searchSchedule`); 3: each search
 * within what it can still win (`worthSearching`); 4: justified schedules first (`searchJustified`).
 */
export function startSearch(
  plan: Plan,
  generation: number,
): { prioritySeed?: string; planIdle?: boolean; searchWithinGain?: boolean; justify?: boolean } {
  if (generation < 1) return {};
  return {
    prioritySeed: prioritySeed(plan),
    planIdle: generation >= 2,
    searchWithinGain: generation >= 3,
    justify: generation >= 4,
  };
}

/**
 * The dependency-aware ready queue. It decides what starts next; the workflow only carries out its
 * decisions. Every operation is O(log n) or O(dependents): the ready queue is fed by counting down
 * remaining dependencies, never by scanning all tasks.
 */
export class Scheduler {
  readonly graph: Graph;
  private readonly key: Key;
  /** Each task's mutexes: its `resources` and those of its overlapping `files`. */
  private readonly resources: Array<readonly string[]>;
  /** Each task's level for the `levels` policy (see `barrierLevels`). */
  private readonly level: number[];
  /** Told of every status change, e.g. by the run's event log. */
  onStatus?: (task: string, to: TaskStatus) => void;
  /** With a planned schedule (`state.hold`): tasks by planned start, and the first not started. */
  private order?: number[];
  private head = 0;

  private constructor(
    readonly plan: Plan,
    readonly state: SchedulerState,
    locks?: FileLocks,
  ) {
    this.graph = buildGraph(plan);
    this.resources = taskResources(plan, locks);
    this.level = state.finallyLast ? barrierLevels(plan, this.graph) : this.graph.level;
    const { level } = this;
    const { rank } = this.graph;
    const n = plan.tasks.length;
    const key: Record<Policy, Key> = {
      // A searched order, when `create` found one, before anything was queued.
      'critical-path': (i) => (state.rank ?? rank)[i],
      fifo: (i) => state.tasks[i].seq ?? i,
      levels: (i) => level[i] * n + i,
    };
    this.key = key[state.policy];
  }

  /** A fresh run of a validated plan. */
  static create(
    plan: Plan,
    options: {
      policy?: Policy;
      maxConcurrency?: number;
      params?: Record<string, unknown>;
      /** A retry: the ended run's succeeded tasks to keep, and when this run starts. */
      retry?: RetryOf;
      now?: number;
      /** Search a better critical-path order from the estimates (see `searchPriority`), with this seed. */
      prioritySeed?: string;
      /** Also search schedules that idle a slot on purpose (see `searchSchedule`), for small plans. */
      planIdle?: boolean;
      /** Spend on these searches at most what they can still win (see `worthSearching`). */
      searchWithinGain?: boolean;
      /** With `planIdle`, also search justified schedules first (see `searchJustified`). */
      justify?: boolean;
      /** The searches of this generation of runs instead of the four above (see `startSearch`). */
      generation?: number;
      /** Under `levels`, put the tasks of `finally` in levels after all others (see `barrierLevels`). */
      finallyLast?: boolean;
      /** The plan's file mutexes, found outside workflow code (see `fileLocks`); found here if absent. */
      fileLocks?: FileLocks;
      /** Count the steps of conditions against the run's budget (see core/expr.ts). */
      boundConditions?: boolean;
      /** `maxConcurrency: auto` within these bounds: M moves with how tasks fare (see runConcurrency.ts). */
      auto?: AdaptiveBounds;
    } = {},
  ): Scheduler {
    if (options.generation !== undefined) options = { ...options, ...startSearch(plan, options.generation) };
    const levelLeft: number[] = [];
    const state: SchedulerState = {
      policy: options.policy ?? plan.policy,
      maxConcurrency: checkedConcurrency(options.maxConcurrency ?? plan.maxConcurrency),
      paused: false,
      tasks: plan.tasks.map((t) => ({ status: 'pending', waitingOn: t.dependsOn.length, attempts: 0 })),
      ready: [],
      parked: {},
      running: {},
      groupRunning: {},
      resourceHolder: {},
      counts: { ...emptyCounts(), pending: plan.tasks.length },
      seq: 0,
      currentLevel: 0,
      levelLeft,
      recentFailures: [],
      params: options.params ?? {},
      mainLeft: plan.tasks.filter((t) => !t.final).length,
      ...(options.finallyLast ? { finallyLast: true } : {}),
      ...(options.boundConditions ? { conditionSteps: 0 } : {}),
    };
    const scheduler = new Scheduler(plan, state, options.fileLocks);
    const searched =
      options.prioritySeed === undefined
        ? undefined
        : scheduler.searchedRank(options.prioritySeed, {
            planIdle: Boolean(options.planIdle && !options.retry),
            withinGain: Boolean(options.searchWithinGain),
            justify: Boolean(options.justify),
          });
    if (searched) Object.assign(state, searched);
    scheduler.level.forEach((l) => (levelLeft[l] = (levelLeft[l] ?? 0) + 1));
    const roots = state.tasks.map((t, i) => (t.waitingOn === 0 && scheduler.decide(i) ? i : -1));
    scheduler.propagate(roots.filter((i) => i >= 0));
    if (options.retry) scheduler.keep(options.retry, options.now ?? 0);
    if (options.auto) {
      // After the kept tasks of a retry, which took no time. A planned schedule is for one M: an
      // automatic M keeps the searched order only.
      state.auto = startRunAuto(options.auto);
      state.maxConcurrency = runAutoLimit(state.auto);
      delete state.hold;
    }
    return scheduler;
  }

  /** Marks the kept tasks of a retry succeeded, with their outputs, as if they had just run. */
  private keep({ run, kept }: RetryOf, now: number): void {
    for (const i of this.graph.order) {
      const id = this.graph.ids[i];
      const task = own(kept, id);
      // Kept tasks only depend on kept tasks, so in this order each is ready when its turn comes.
      if (!task || this.state.tasks[i].status !== 'ready') continue;
      this.start(id, now);
      this.succeed(id, { endedAt: now, ...task });
      this.state.tasks[i].reason = `kept: succeeded in ${run}`;
    }
  }

  /**
   * A searched critical-path order, or undefined when plain longest-path-first is as good or the
   * search does not apply: group limits, resources and `finally` are not in its model of the
   * schedule. With `planIdle`, a small plan's order may be a planned schedule's (`hold`).
   */
  private searchedRank(
    seed: string,
    search: { planIdle: boolean; withinGain: boolean; justify: boolean },
  ): Pick<SchedulerState, 'rank' | 'hold'> | undefined {
    if (this.state.policy !== 'critical-path') return undefined;
    if (this.plan.tasks.some((t) => t.group !== undefined) || this.resources.some((r) => r.length > 0))
      return undefined;
    const m = this.state.maxConcurrency;
    const g = this.graph;
    const found = searchPriority(g, m, seed, search.withinGain);
    const listed = found.makespanMs < found.baseMs ? { rank: found.rank } : undefined;
    if (!search.planIdle || g.ids.length > MAX_PLANNED_TASKS || this.plan.tasks.some((t) => t.final)) return listed;
    if (found.makespanMs <= found.boundMs) return listed;
    let start: number[] | undefined;
    let upperMs = found.makespanMs;
    // What is left to win, less what the searches cost (see `worthSearching`).
    let gapMs = upperMs - found.boundMs;
    const n = g.ids.length;
    const steps = search.withinGain ? Math.min(JUSTIFY_STEPS, Math.floor(gapMs / SEARCH_STEP_MS)) : JUSTIFY_STEPS;
    // Justifying one schedule costs 2-3n² steps: with less than 4n² to spend, it cannot pay for itself.
    if (search.justify && steps >= 4 * n * n) {
      const j = searchJustified(g, m, listSchedule(g, found.rank, m), found.boundMs, seed, steps);
      if (j.makespanMs < upperMs) [start, upperMs] = [j.start, j.makespanMs];
      gapMs = upperMs - found.boundMs - j.steps * SEARCH_STEP_MS;
    }
    const nodes = search.withinGain ? nodesWithinGain(g, gapMs) : undefined;
    if (nodes !== 0 && upperMs > found.boundMs) start = searchSchedule(g, m, upperMs, nodes).start ?? start;
    if (!start) return listed;
    const position = inverse(g.order);
    // By planned start; ties in dependency order, so zero-length tasks come before what needs them.
    const byStart = g.order.slice().sort((a, b) => start[a] - start[b] || position[a] - position[b]);
    return { rank: inverse(byStart), hold: true };
  }

  /** Resumes from a snapshot, e.g. after continue-as-new (file mutexes as in `create`). */
  static restore(plan: Plan, state: SchedulerState, fileLocks?: FileLocks): Scheduler {
    return new Scheduler(plan, state, fileLocks);
  }

  /** Ready task ids, best first. */
  ready(): string[] {
    const waiting = [...this.state.ready, ...Object.values(this.state.parked).flat()];
    return waiting.sort((a, b) => this.key(a) - this.key(b)).map((i) => this.graph.ids[i]);
  }

  /**
   * The task to start now, or undefined when limits, a pause, a halt, a level barrier or a planned
   * schedule say wait. `now` is only read with a planned schedule.
   */
  next(now = 0): string | undefined {
    const s = this.state;
    // After a halt only tasks of `finally` are left in the queue: they still run.
    if (s.paused || s.counts.running >= runningCap(s.maxConcurrency)) return undefined;
    if (s.hold) return this.nextInPlan(now);
    for (;;) {
      const top = s.ready[0];
      if (top === undefined) return undefined;
      if (s.policy === 'levels' && this.level[top] > s.currentLevel) return undefined;
      const blocker = this.blocker(top);
      if (!blocker) return this.graph.ids[top];
      heapPop(s.ready, this.key);
      heapPush((s.parked[blocker] ??= []), top, this.key);
      // `top` may have been handed a free group slot or resource that it now won't use: pass it on.
      this.releaseFreeSlots(top);
    }
  }

  /**
   * With a planned schedule, tasks start in its order: the first one not started (the head) as
   * soon as it is ready. While the head waits for a dependency, a ready task may start only if by
   * its estimate it ends before the head can start, so it takes no slot the plan needs. Kept to,
   * this never ends later than the plan when tasks take at most their estimates (each task starts
   * no later than planned, by induction on the order). Once the head waits on a task that has run
   * well past its estimate, the plan is off: the best ready task starts, as without a plan.
   */
  private nextInPlan(now: number): string | undefined {
    const s = this.state;
    const top = s.ready[0];
    if (top === undefined) return undefined;
    const head = this.planHead();
    if (head === top) return this.graph.ids[top];
    const due = this.headDue(head, now);
    if (due === undefined) return this.graph.ids[top];
    // The first task in plan order that ends in time (the ready heap is only ordered at its top).
    let fits: number | undefined;
    for (const i of s.ready)
      if (now + this.graph.estimate[i] <= due.at && (fits === undefined || this.key(i) < this.key(fits))) fits = i;
    return fits === undefined ? undefined : this.graph.ids[fits];
  }

  /**
   * When the queue should look again though nothing ended: the moment the head's dependency runs
   * past its estimate and the plan is dropped. Undefined when nothing is held back.
   */
  holdUntil(now: number): number | undefined {
    const s = this.state;
    if (!s.hold || s.paused || s.ready.length === 0 || s.counts.running >= runningCap(s.maxConcurrency))
      return undefined;
    if (this.nextInPlan(now) !== undefined) return undefined;
    return this.headDue(this.planHead(), now)?.overrunAt;
  }

  private planHead(): number {
    const { tasks, rank = [] } = this.state;
    const order = (this.order ??= inverse(rank));
    while (this.head < order.length && !['pending', 'ready'].includes(tasks[order[this.head]].status)) this.head++;
    return order[this.head];
  }

  /**
   * When the head's running dependencies end by their estimates, and when the first overruns;
   * undefined when one has overrun, or none runs (nothing to wait for: the plan is off).
   */
  private headDue(head: number, now: number): { at: number; overrunAt: number } | undefined {
    let at = now;
    let overrunAt = Number.POSITIVE_INFINITY;
    for (const d of this.graph.deps[head]) {
      const started = this.state.tasks[d].startedAt;
      if (this.state.tasks[d].status !== 'running' || started === undefined) continue;
      const end = started + this.graph.estimate[d];
      const overrun = end + Math.max(OVERRUN_MS, this.graph.estimate[d] / 10);
      if (now >= overrun) return undefined;
      at = Math.max(at, end);
      overrunAt = Math.min(overrunAt, overrun);
    }
    return overrunAt === Number.POSITIVE_INFINITY ? undefined : { at, overrunAt };
  }

  /** Marks a ready task as running and takes its group slot and resources. */
  start(id: string, now: number): void {
    const i = this.indexOf(id, 'ready');
    const s = this.state;
    if (!heapRemove(s.ready, i, this.key)) {
      for (const heap of Object.values(s.parked)) if (heapRemove(heap, i, this.key)) break;
    }
    const task = this.plan.tasks[i];
    this.move(i, 'running');
    Object.assign(s.tasks[i], { startedAt: now });
    s.running[id] = now;
    if (s.auto) runAutoStarted(s.auto, i, s.counts.running);
    if (task.group) setOwn(s.groupRunning, task.group, (own(s.groupRunning, task.group) ?? 0) + 1);
    for (const r of this.resources[i]) setOwn(s.resourceHolder, r, i);
  }

  /** Records a success and makes dependents ready once all their dependencies are done. */
  succeed(id: string, outcome: TaskOutcome): void {
    const i = this.finish(id, 'succeeded', outcome);
    if (outcome.json !== undefined) this.state.tasks[i].json = outcome.json;
    this.propagate([i]);
    this.checkBudget();
  }

  /**
   * Records a failure and skips everything downstream of it. Returns the ids of running tasks to
   * cancel when this failure makes the run fail fast, otherwise an empty list.
   */
  fail(id: string, outcome: TaskOutcome): string[] {
    const i = this.finish(id, 'failed', outcome);
    const s = this.state;
    const error = (outcome.error ?? 'failed').slice(0, errorChars(this.plan.tasks.length));
    s.recentFailures = [...s.recentFailures, { id, error, at: outcome.endedAt }].slice(-RECENT_FAILURES);
    const cancel = this.afterFailure(i);
    this.checkBudget();
    return cancel;
  }

  /** What llm and agent steps have cost so far, in USD (unknown prices count as 0). */
  spentUsd(): number {
    return this.state.tasks.reduce((sum, t) => sum + (t.usage?.costUsd ?? 0), 0);
  }

  /**
   * Once `budgetUsd` is spent nothing new starts (tasks of `finally` still run); running tasks
   * finish, so no work is thrown away half done.
   */
  private checkBudget(): void {
    const budget = this.plan.budgetUsd;
    if (budget === undefined || this.state.halt) return;
    const spent = this.spentUsd();
    if (spent >= budget) this.halt('budget', `budget of $${budget.toFixed(2)} spent ($${spent.toFixed(2)})`);
  }

  /** Records that a running task was cancelled; dependents run only if their `runIf` allows it. */
  cancelled(id: string, outcome: TaskOutcome): void {
    this.propagate([this.finish(id, 'cancelled', outcome)]);
  }

  /**
   * Cancels the run: nothing new starts, except the tasks of `finally`; returns the running task
   * ids to cancel. Asked again, it cancels the tasks of `finally` too.
   */
  cancel(reason: string): string[] {
    const s = this.state;
    if (!s.halt) return this.halt('cancelled', reason);
    if (s.halt.kind === 'cancelled' && !s.halt.final) {
      s.halt.final = true;
      this.haltPending('cancelled', (task) => Boolean(task.final), `run cancelled again: ${reason}`);
    }
    return Object.keys(s.running);
  }

  /** Fails the run before its tasks start (a workspace that cannot be opened): they are skipped with the reason. */
  stop(reason: string): void {
    if (!this.state.halt) this.halt('fail-fast', reason);
  }

  /** Stops starting new tasks; running ones go on. */
  pause(): void {
    this.state.paused = true;
  }

  /** Starts new tasks again after a pause. */
  resume(): void {
    this.state.paused = false;
  }

  /**
   * Changes M for the rest of the run (a planned schedule was for the old M: it is dropped). Under
   * `maxConcurrency: auto` it pins M at `n`: the run's M is fixed from then on, as a person chose.
   */
  setConcurrency(n: number): void {
    this.state.maxConcurrency = checkedConcurrency(n);
    if (this.state.hold) this.state.hold = false;
    delete this.state.auto;
  }

  /** True when no task runs and none will start. */
  isDone(): boolean {
    const c = this.state.counts;
    return c.running === 0 && c.succeeded + c.failed + c.skipped + c.cancelled === this.plan.tasks.length;
  }

  /** The run's status as a person would describe it. */
  status(): RunStatus {
    const s = this.state;
    if (s.halt?.kind === 'cancelled') return 'cancelled';
    if (!this.isDone()) return 'running';
    // A skip is either a condition's choice or the consequence of a failure or cancel counted here.
    return s.counts.failed + s.counts.cancelled > 0 || s.halt ? 'failed' : 'succeeded';
  }

  /** The record of one task by id. */
  task(id: string): TaskRecord {
    return this.state.tasks[this.indexOf(id)];
  }

  private halt(kind: Halt['kind'], reason: string): string[] {
    const s = this.state;
    s.halt = { kind, reason };
    const why =
      kind === 'cancelled'
        ? `run cancelled: ${reason}`
        : kind === 'budget'
          ? `not started: ${reason}`
          : `not started: run failed fast after ${reason}`;
    this.haltPending(kind === 'cancelled' ? 'cancelled' : 'skipped', (task) => !task.final, why);
    // Tasks of `finally` run after every other task, whatever happened: they are what is left.
    return Object.keys(s.running).filter((id) => !this.plan.tasks[this.graph.index[id]].final);
  }

  /** Ends every task that has not started and passes `which`, then lets `finally` go on. */
  private haltPending(to: TaskStatus, which: (task: Plan['tasks'][number]) => boolean, reason: string): void {
    const s = this.state;
    const ended: number[] = [];
    s.tasks.forEach((t, i) => {
      if ((t.status !== 'pending' && t.status !== 'ready') || !which(this.plan.tasks[i])) return;
      this.move(i, to);
      t.reason = reason;
      ended.push(i);
    });
    const keep = (i: number) => s.tasks[i].status === 'ready';
    s.ready = s.ready.filter(keep);
    for (const [slot, heap] of Object.entries(s.parked)) {
      s.parked[slot] = heap.filter(keep);
      if (s.parked[slot].length === 0) delete s.parked[slot];
    }
    // Filtering can break the heap order; rebuild it.
    const ready = s.ready.splice(0);
    for (const i of ready) heapPush(s.ready, i, this.key);
    this.propagate(ended);
  }

  /** Fail-fast or tolerated-failure bookkeeping after task i failed. */
  private afterFailure(i: number): string[] {
    const s = this.state;
    this.propagate([i]);
    if (
      !s.halt &&
      (this.plan.onFailure === 'fail-fast' ||
        s.counts.failed > toleratedCount(this.plan.toleratedFailures, this.plan.tasks.length))
    ) {
      return this.halt('fail-fast', `task "${this.graph.ids[i]}" failed`);
    }
    return [];
  }

  /**
   * Tasks in `ended` have just reached a final status: count down their dependents and decide each
   * one whose dependencies have all ended. A decision can end a task too (skipped), so this runs
   * as a worklist, not recursion: chains of any length are fine.
   */
  private propagate(ended: number[]): void {
    const s = this.state;
    const work = [...ended];
    for (;;) {
      while (work.length) {
        const i = work.pop() as number;
        for (const c of this.graph.dependents[i]) {
          const t = s.tasks[c];
          if (t.status === 'pending' && --t.waitingOn === 0 && this.decide(c)) work.push(c);
        }
      }
      if (!this.releaseFinals(work)) return;
    }
  }

  /** Once every other task has ended, the tasks of `finally` without pending dependencies are decided. */
  private releaseFinals(work: number[]): boolean {
    const s = this.state;
    if (s.mainLeft !== 0) return false;
    s.mainLeft = -1; // released once
    s.tasks.forEach((t, i) => {
      if (this.plan.tasks[i].final && t.status === 'pending' && t.waitingOn === 0 && this.decide(i)) work.push(i);
    });
    return work.length > 0;
  }

  /** Carries out `decideRun` for a task whose dependencies have ended; true if that ended it. */
  private decide(i: number): boolean {
    const s = this.state;
    const decision = decideRun(this.plan, this.graph, s, i);
    switch (decision.kind) {
      case 'wait':
        return false;
      case 'run':
        this.makeReady(i);
        return false;
      case 'skip':
        this.move(i, 'skipped');
        s.tasks[i].reason = decision.reason;
        return true;
      case 'fail':
        this.move(i, 'failed');
        s.tasks[i].error = decision.error;
        s.recentFailures = [...s.recentFailures, { id: this.graph.ids[i], error: decision.error, at: 0 }].slice(
          -RECENT_FAILURES,
        );
        return true;
    }
  }

  private finish(id: string, status: TaskStatus, outcome: TaskOutcome): number {
    const i = this.indexOf(id, 'running');
    const s = this.state;
    const t = s.tasks[i];
    if (s.auto) this.measure(s.auto, i, status, outcome);
    this.move(i, status);
    t.endedAt = outcome.endedAt;
    t.attempts = outcome.attempts ?? t.attempts;
    t.worker = outcome.worker ?? t.worker;
    if (outcome.output !== undefined) t.output = outcome.output.slice(-outputTailChars(this.plan.tasks.length));
    if (outcome.usage !== undefined) t.usage = outcome.usage;
    if (outcome.results !== undefined) t.results = outcome.results;
    if (outcome.items !== undefined) t.items = outcome.items;
    if (outcome.stop !== undefined) t.stop = outcome.stop;
    if (outcome.merge !== undefined) t.merge = outcome.merge;
    if (outcome.limits !== undefined) t.limits = outcome.limits;
    if (outcome.error !== undefined) t.error = outcome.error.slice(0, errorChars(this.plan.tasks.length));
    delete s.running[id];
    const task = this.plan.tasks[i];
    if (task.group) {
      setOwn(s.groupRunning, task.group, (own(s.groupRunning, task.group) ?? 1) - 1);
      this.release(`g:${task.group}`);
    }
    for (const r of this.resources[i]) {
      delete s.resourceHolder[r];
      this.release(`r:${r}`);
    }
    return i;
  }

  /** Feeds `maxConcurrency: auto` with a task's end (before it stops counting as running), and moves M. */
  private measure(
    auto: NonNullable<SchedulerState['auto']>,
    i: number,
    status: TaskStatus,
    outcome: TaskOutcome,
  ): void {
    const s = this.state;
    const startedAt = s.tasks[i].startedAt;
    const measured = status !== 'cancelled' && !this.plan.tasks[i].map && startedAt !== undefined;
    const sample = measured
      ? {
          index: i,
          startedAt,
          endedAt: outcome.endedAt,
          estimateMs: this.graph.estimate[i],
          attempts: outcome.attempts ?? 1,
          ok: status === 'succeeded',
          running: s.counts.running,
        }
      : undefined;
    s.maxConcurrency = runAutoEnded(auto, i, sample);
  }

  /** A freed slot lets one parked task back into the ready queue, or parks it on its next blocker. */
  private release(slot: string): void {
    const s = this.state;
    const parked = s.parked[slot];
    while (parked?.length) {
      const i = heapPop(parked, this.key) as number;
      const blocker = this.blocker(i);
      if (!blocker) {
        heapPush(s.ready, i, this.key);
        break;
      }
      heapPush((s.parked[blocker] ??= []), i, this.key);
    }
    if (parked?.length === 0) delete s.parked[slot];
  }

  private blocker(i: number): string | undefined {
    const task = this.plan.tasks[i];
    if (task.group && this.groupFull(task.group)) return `g:${task.group}`;
    const held = this.resources[i].find((r) => own(this.state.resourceHolder, r) !== undefined);
    return held === undefined ? undefined : `r:${held}`;
  }

  private groupFull(group: string): boolean {
    const limit = own(this.plan.groups, group)?.maxConcurrency;
    return limit !== undefined && (own(this.state.groupRunning, group) ?? 0) >= limit;
  }

  /** Lets the next waiter take each of task i's slots that is free. */
  private releaseFreeSlots(i: number): void {
    const task = this.plan.tasks[i];
    if (task.group && !this.groupFull(task.group)) this.release(`g:${task.group}`);
    for (const r of this.resources[i]) if (own(this.state.resourceHolder, r) === undefined) this.release(`r:${r}`);
  }

  private makeReady(i: number): void {
    this.move(i, 'ready');
    this.state.tasks[i].seq = this.state.seq++;
    heapPush(this.state.ready, i, this.key);
  }

  private move(i: number, to: TaskStatus): void {
    const s = this.state;
    const t = s.tasks[i];
    s.counts[t.status]--;
    s.counts[to]++;
    t.status = to;
    this.onStatus?.(this.graph.ids[i], to);
    if (isTerminal(to)) {
      if (!this.plan.tasks[i].final && s.mainLeft !== undefined && s.mainLeft > 0) s.mainLeft--;
      s.levelLeft[this.level[i]]--;
      while (s.currentLevel < s.levelLeft.length - 1 && s.levelLeft[s.currentLevel] === 0) s.currentLevel++;
    }
  }

  private indexOf(id: string, expected?: TaskStatus): number {
    const i = own(this.graph.index, id);
    if (i === undefined) throw new Error(`unknown task "${id}"`);
    const actual = this.state.tasks[i].status;
    if (expected && actual !== expected) throw new Error(`task "${id}" is ${actual}, not ${expected}`);
    return i;
  }
}

/**
 * Levels for the `levels` barrier in which the tasks of `finally` come after every other level: they
 * wait for every other task anyway, so one at a low level (no dependencies: level 0) would hold the
 * barrier at that level while tasks above it waited for it, and the run would hang. A task of
 * `finally` is one level above the last other level, or above its deepest dependency.
 */
export function barrierLevels(plan: Plan, graph: Graph): number[] {
  const level = graph.level.slice();
  const last = plan.tasks.reduce((max, t, i) => (t.final ? max : Math.max(max, level[i])), -1);
  for (const i of graph.order) {
    if (!plan.tasks[i].final) continue;
    level[i] = last + 1;
    for (const d of graph.deps[i]) level[i] = Math.max(level[i], level[d] + 1);
  }
  return level;
}

/** The inverse of a permutation: ranks from an order, or the order from ranks. */
function inverse(permutation: number[]): number[] {
  const out: number[] = [];
  permutation.forEach((p, i) => (out[p] = i));
  return out;
}

/** Tasks running at once under M: never more than Temporal's pending children per workflow. */
function runningCap(m: number): number {
  return Math.min(m, MAX_RUNNING_TASKS);
}

function checkedConcurrency(n: number): number {
  assertConcurrency(n);
  return n;
}

/** Reads a key only if the record has it, so ids like "constructor" are safe. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Writes an own key, even "__proto__" (plain assignment would set the prototype instead). */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}
