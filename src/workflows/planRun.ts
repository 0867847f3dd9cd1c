import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  type SignalDefinition,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BuiltinActivities } from '../activities';
import { failureOf } from '../core/failures';
import { assertConcurrency, DEFAULT_JSON_OUTPUT_LIMIT, MAX_PAYLOAD_BYTES } from '../core/plan/limits';
import type { Plan, Task } from '../core/plan/plan';
import { executionOf, stepsOf } from '../core/plan/steps';
import { stepTemplates } from '../core/plan/stepTemplates';
import { parseRef, templatesIn, type TemplateContext, type TemplateRef } from '../core/plan/template';
import { EventLog } from '../core/report/events';
import { progressMarkdown, progressOf } from '../core/report/progress';
import { Scheduler, SEARCH_GENERATION } from '../core/schedule/scheduler';
import { summarize, taskSummary, type RunSummary } from '../core/report/summary';
import { taskRow } from '../core/report/taskRows';
import type { FileLocks } from '../core/plan/files';
import {
  cancelSignal,
  eventsQuery,
  pauseSignal,
  progressQuery,
  resumeSignal,
  runConcurrencySignal,
  COST_MEMO,
  searchAttributes,
  setConcurrencyUpdate,
  taskQuery,
  taskRowsQuery,
  taskWorkflowId,
  type RunPlanInput,
} from '../shared';
import { carriedSize } from './carriedSize';
import { generationFull } from './generationFull';
import { planMarkdown } from './planMarkdown';
import { planToCarry } from './planSource';
import { cancelledOutcome, failureOutcome } from './failure';
import { ptqMap, type RunMapInput } from './ptqMap';
import { ptqTask, queuePriorityOf, type RunTaskInput } from './ptqTask';
import { ensurePlanLimits } from './planLimits';
import { notifyHooks } from './notify';
import { StatusWriter } from './statusSync';
import { stopLocally } from './stopLocally';
import { RunLimitWaits } from './limitWaits';
import { RunWorkspace, type WorkspaceResult } from './workspace';
import type { TaskPlace } from '../activities';

type Completion = { id: string; ok: true; result: WorkspaceResult } | { id: string; ok: false; error: unknown };

const { measurePayload } = proxyLocalActivities<BuiltinActivities>({ startToCloseTimeout: '1 minute' });

/** Below this much JSON the carried input cannot reach Temporal's payload limit, gzipped or not. */
const MEASURE_ABOVE_CHARS = MAX_PAYLOAD_BYTES;

const DETAILS_EVERY_MS = 1_000;
const SEARCH_ATTRIBUTES_EVERY_MS = 10_000;

/** A task's work, started in the scope that is current (in a batch, the batch's). */
const startNow = (work: () => Promise<WorkspaceResult>): Promise<WorkspaceResult> => {
  try {
    return work();
  } catch (err) {
    return Promise.reject(err);
  }
};
/** What a batch's scope run returns: nothing to wait for, and no new promise. */
const DONE = Promise.resolve();

/**
 * One generation of a plan run. The scheduler (pure core) makes every decision; this class only
 * starts tasks (a child workflow each, or inline), feeds their results back, answers messages and
 * publishes progress.
 */
export class PlanRun {
  private readonly scheduler: Scheduler;
  /** The cancellation scope of each running task. */
  private readonly scopes = new Map<string, CancellationScope>();
  /** Running tasks whose steps are this workflow's own activities (inline), for `stopLocally`. */
  private readonly inline = new Set<string>();
  /** The scopes tasks share: one for the main tasks, one for those of `finally` (see `scopeFor`). */
  private readonly shared: { main?: CancellationScope; final?: CancellationScope } = {};
  private readonly startedAt: number;
  private inbox: Completion[] = [];
  private wake = false;
  private draining = false;
  private startedThisRun = 0;
  private lastDetails = 0;
  private lastSearchAttributes = 0;
  private memoCostUsd = 0;
  /** Plans with a workspace: the git repo the tasks work in, opened at the start. */
  private workspace?: RunWorkspace;
  /** Plans started with `--sync-status`: task status written back to the task list. */
  private readonly status?: StatusWriter;
  private readonly events: EventLog;
  private readonly limitWaits: RunLimitWaits;

  constructor(
    private readonly plan: Plan,
    private readonly input: RunPlanInput,
    fileLocks?: FileLocks,
  ) {
    this.scheduler = input.resume
      ? Scheduler.restore(plan, input.resume.state, fileLocks)
      : Scheduler.create(plan, {
          fileLocks,
          policy: input.policy,
          maxConcurrency: input.maxConcurrency,
          params: input.params,
          retry: input.retry,
          now: Date.now(),
          generation: SEARCH_GENERATION,
          finallyLast: true,
          boundConditions: true,
          // `--max-concurrency` at the start fixes M, as `ptq set-concurrency` does later.
          auto: input.maxConcurrency === undefined ? plan.maxConcurrencyAuto : undefined,
        });
    this.startedAt = input.resume?.startedAt ?? Date.now();
    const opened = input.resume?.workspace;
    if (opened && plan.workspace) this.workspace = new RunWorkspace(opened, plan.workspace);
    if (plan.sync) this.status = new StatusWriter(plan.sync);
    this.events = new EventLog(this.scheduler, input.resume?.generation ?? 0, () => Date.now());
    this.limitWaits = new RunLimitWaits(plan);
  }

  /** Signals, the progress query and the setConcurrency update. */
  registerHandlers(): void {
    setHandler(pauseSignal, () => {
      this.poke(() => this.scheduler.pause());
      this.tellMaps(pauseSignal);
    });
    setHandler(resumeSignal, () => {
      this.poke(() => this.scheduler.resume());
      this.tellMaps(resumeSignal);
    });
    setHandler(cancelSignal, (reason) => this.cancelRun(reason || 'cancelled by request'));
    setHandler(progressQuery, () => progressOf(this.scheduler));
    setHandler(eventsQuery, (after) => this.events.after(after));
    setHandler(taskQuery, (id) => {
      const { index } = this.scheduler.graph;
      return Object.hasOwn(index, id) ? taskSummary(this.scheduler, index[id]) : null;
    });
    setHandler(taskRowsQuery, () => this.scheduler.state.tasks.map((_, i) => taskRow(taskSummary(this.scheduler, i))));
    setHandler(
      setConcurrencyUpdate,
      (n) => {
        this.poke(() => this.scheduler.setConcurrency(n));
        this.tellMaps(runConcurrencySignal, n);
        return n;
      },
      {
        validator: assertConcurrency,
      },
    );
  }

  /** Runs to the end (or to a continue-as-new boundary) and returns the summary. */
  async execute(): Promise<RunSummary> {
    if (!this.input.resume) this.upsertSearchAttributes(true);
    try {
      await ensurePlanLimits(this.plan, !!this.input.resume);
      await this.openWorkspace();
      await this.loop();
    } catch (err) {
      if (!isCancellation(err)) throw err;
      // `ptq cancel` signals its reason, then asks Temporal to cancel: that is one cancel, not a second.
      const signalled = this.scheduler.state.halt?.kind === 'cancelled';
      if (!signalled) this.cancelRun('workflow cancelled');
    }
    // Cancellation of the workflow cancels the root scope; finishing up must not be cancellable,
    // and neither are the tasks of `finally`, which run once the cancelled tasks have stopped.
    return CancellationScope.nonCancellable(async () => {
      if (this.plan.tasks.some((t) => t.final)) await this.loop();
      await this.settle();
      await this.workspace?.close();
      await this.status?.flushed();
      await condition(allHandlersFinished);
      this.publish(true);
      const branch = this.workspace?.open.branch;
      const summary = summarize(this.scheduler, workflowInfo().workflowId, this.startedAt, Date.now(), branch);
      const result = this.input.retry ? { ...summary, retryOf: this.input.retry.run } : summary;
      if (this.plan.notify) await notifyHooks(this.plan.notify, result);
      return result;
    });
  }

  /** A plan with a workspace gets its integration branch first; a repo that is not there fails the run. */
  private async openWorkspace(): Promise<void> {
    if (!this.plan.workspace || this.workspace || this.scheduler.isDone()) return;
    try {
      const opened = await RunWorkspace.open(workflowInfo().workflowId, this.plan.workspace);
      this.workspace = new RunWorkspace(opened, this.plan.workspace);
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.scheduler.stop(`the workspace could not be opened: ${failureOutcome(err).error}`);
    }
  }

  private async loop(): Promise<void> {
    const s = this.scheduler;
    while (!s.isDone()) {
      this.startReady();
      if (this.draining && s.state.counts.running === 0) await this.continueAsNew();
      // A planned schedule may hold ready tasks back: look again when it would give up on the plan.
      const held = s.holdUntil(Date.now());
      const look = this.limitWaits.wakeIn(Object.keys(s.state.running), Date.now());
      const until = look === undefined ? held : Math.min(held ?? Infinity, Date.now() + look);
      const woken = () => this.inbox.length > 0 || this.wake;
      await (until === undefined ? condition(woken) : condition(woken, Math.max(1, until - Date.now())));
      this.wake = false;
      this.takeInbox();
      const looking = this.limitWaits.look(workflowInfo().workflowId, Object.keys(s.state.running), Date.now());
      if (looking) await looking;
      this.publish(false);
    }
  }

  /**
   * Starts every task the scheduler lets start now. Ready tasks of one kind start in one run of
   * their shared scope (see `scopeFor`) rather than a run each: a run is two promises, each with a
   * stack trace, so that is 2 of the 6 promises an inline no-op task made.
   */
  private startReady(): void {
    let id = this.startNext();
    while (id !== undefined) {
      const scope = this.scopeFor(this.taskOf(id));
      let failed: { error: unknown } | undefined;
      // The callback runs at once, inside the scope: what it starts runs in the scope. It stops at
      // a task of the other kind, which starts the next batch.
      void scope.run(() => {
        try {
          do {
            this.launch(id as string, scope);
            id = this.startNext();
          } while (id !== undefined && this.scopeFor(this.taskOf(id)) === scope);
        } catch (error) {
          failed = { error };
        }
        return DONE;
      });
      if (failed) throw failed.error;
    }
  }

  /** Marks the next task that may start now as started; none while draining for continue-as-new. */
  private startNext(): string | undefined {
    const s = this.scheduler;
    const id = this.draining ? undefined : s.next(Date.now());
    if (id === undefined) return undefined;
    s.start(id, Date.now());
    this.status?.set(id, 'running');
    this.startedThisRun++;
    const limit = this.input.continueAsNewAfter;
    this.draining = generationFull() || (limit !== undefined && this.startedThisRun >= limit);
    return id;
  }

  private taskOf(id: string): Task {
    return this.plan.tasks[this.scheduler.graph.index[id]];
  }

  /** Starts a task's work in the scope that is current, `scope`, and sends its end to the inbox. */
  private launch(id: string, scope: CancellationScope): void {
    const task = this.taskOf(id);
    this.scopes.set(id, scope);
    const done = (c: Completion) => {
      this.scopes.delete(id);
      this.inline.delete(id);
      this.inbox.push(c);
    };
    const child = {
      workflowId: taskWorkflowId(workflowInfo().workflowId, id),
      staticSummary: task.title ?? id,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      ...queuePriorityOf(task),
    };
    const runIt = (place?: TaskPlace) => {
      const input: RunTaskInput = { task, defaults: this.plan.defaults, ...this.templateInputs(task, place) };
      const chosen = task.execution ?? this.plan.defaults.execution ?? 'auto';
      if (executionOf(task, chosen) !== 'inline') return executeChild(ptqTask, { ...child, args: [input] });
      this.inline.add(id);
      return ptqTask(input, task.title ?? id);
    };
    startNow((): Promise<WorkspaceResult> => {
      if (task.map) return executeChild(ptqMap, { ...child, args: [this.mapInput({ ...task, map: task.map })] });
      return this.workspace ? this.workspace.run(task, runIt) : runIt();
    }).then(
      (result) => done({ id, ok: true, result }),
      (error: unknown) => done({ id, ok: false, error }),
    );
  }

  /**
   * The scope a task runs in. The run only ever cancels all running main tasks at once (a cancel,
   * fail-fast), then, asked again, the tasks of `finally` too (see `Scheduler.cancel`), so tasks
   * share one scope per kind instead of one each: a scope costs the SDK three promises, each with a
   * stack trace (`npm run bench -- --only promises`: 10.3 promises per no-op task with a scope each,
   * 7.3 shared). A cancelled scope is not reused.
   */
  private scopeFor(task: Task): CancellationScope {
    const kind = task.final ? 'final' : 'main';
    const scope = this.shared[kind];
    if (scope && !scope.consideredCancelled) return scope;
    return (this.shared[kind] = new CancellationScope());
  }

  /** A map task's input: its steps' template values, and apart from them, its item source's. */
  private mapInput(task: RunMapInput['task']): RunMapInput {
    return {
      task,
      defaults: this.plan.defaults,
      context: this.templateContext(task, stepRefs(task)),
      sourceContext: this.templateContext(task, templatesIn(task.map.items)),
      itemJsonLimit: task.output === 'json' ? this.jsonLimit() : undefined,
      jsonLimit: this.jsonLimit(),
      // An automatic M is about the run's tasks: a map's items are capped by its ceiling.
      runCap: this.scheduler.state.auto ? this.plan.maxConcurrency : this.scheduler.state.maxConcurrency,
      continueAsNewAfter: this.input.continueAsNewAfter,
      shardSize: this.input.shardSize,
    };
  }

  /** What a task's templates need, and the JSON cap of its output; in a workspace, where it works. */
  private templateInputs(task: Task, place?: TaskPlace): Pick<RunTaskInput, 'context' | 'jsonLimit'> {
    const jsonLimit = task.output === 'json' ? this.jsonLimit() : undefined;
    const refs = stepRefs(task);
    if (refs.length === 0 && !place) return { jsonLimit };
    const context = this.templateContext(task, refs);
    if (place) context.task = { ...context.task, ...place };
    return { context, jsonLimit };
  }

  /** Most bytes of a task's JSON output (plans from before the cap have none). */
  private jsonLimit(): number {
    return this.plan.jsonOutputLimit ?? DEFAULT_JSON_OUTPUT_LIMIT;
  }

  /**
   * Template values: the results of exactly the tasks referenced (not every dependency: they would
   * all be copied into the task's history), the params and the ids.
   */
  private templateContext(task: Task, refs: Array<{ text: string }>): TemplateContext {
    const tasks: TemplateContext['tasks'] = {};
    for (const { text } of refs) {
      const ref = safeParseRef(text);
      if (ref?.kind !== 'task' || Object.hasOwn(tasks, ref.task)) continue;
      const record = this.scheduler.task(ref.task);
      tasks[ref.task] = { output: record.output ?? '', json: record.json, results: record.results };
    }
    return { tasks, params: this.input.params ?? {}, run: { id: workflowInfo().workflowId }, task: { id: task.id } };
  }

  private takeInbox(): void {
    const s = this.scheduler;
    for (const c of this.inbox.splice(0)) {
      const endedAt = Date.now();
      if (c.ok) s.succeed(c.id, { endedAt, ...c.result });
      else if (isCancellation(c.error)) s.cancelled(c.id, { endedAt, ...cancelledOutcome(c.error) });
      else this.cancelTasks(s.fail(c.id, { endedAt, ...failureOutcome(c.error) }));
      this.status?.set(c.id, s.task(c.id).status);
    }
  }

  /** After a cancel or fail-fast: wait for every running child to stop and report back. */
  private async settle(): Promise<void> {
    while (this.scheduler.state.counts.running > 0) {
      await condition(() => this.inbox.length > 0);
      this.takeInbox();
    }
  }

  /** Ends the run before anything started: every task is cancelled with this reason. */
  reject(reason: string): void {
    this.scheduler.cancel(reason);
  }

  private cancelRun(reason: string): void {
    this.poke(() => this.cancelTasks(this.scheduler.cancel(reason)));
  }

  /** Running maps follow the run's pause, resume and M. A map that just ended needs nothing. */
  private tellMaps<Args extends unknown[]>(signal: SignalDefinition<Args>, ...args: Args): void {
    for (const id of this.scopes.keys()) {
      if (!this.plan.tasks[this.scheduler.graph.index[id]].map) continue;
      const handle = getExternalWorkflowHandle(taskWorkflowId(workflowInfo().workflowId, id));
      handle.signal(signal, ...args).catch(() => undefined);
    }
  }

  private cancelTasks(ids: string[]): void {
    const running = ids.filter((id) => this.scopes.has(id));
    for (const id of running) this.scopes.get(id)?.cancel();
    const own = running.some((id) => this.inline.has(id));
    if (running.length > 0) stopLocally({ workflowId: workflowInfo().workflowId, tasks: running }, own);
  }

  private poke(change: () => void): void {
    change();
    this.wake = true;
    this.publish(false);
  }

  private async continueAsNew(): Promise<never> {
    await this.status?.flushed();
    await condition(allHandlersFinished);
    const generation = (this.input.resume?.generation ?? 0) + 1;
    const next = {
      ...this.input,
      ...planToCarry(this.plan, this.input.planFrom),
      resume: {
        // The live state, not a copy: it is serialized once, by continueAsNew, as it is then.
        state: this.scheduler.state,
        startedAt: this.startedAt,
        generation,
        ...(this.workspace ? { workspace: this.workspace.open } : {}),
        planBytes: this.input.resume?.planBytes,
      },
    };
    await this.checkCarriedSize(next);
    return continueAsNew<(input: RunPlanInput) => Promise<RunSummary>>(next);
  }

  /**
   * A payload over Temporal's limit would fail the continue-as-new command again and again and the
   * run would hang: fail it with the reason instead. Only big inputs are measured (gzip runs in a
   * local activity); runs since `carried-size-parts` measure the plan once (see carriedSize.ts).
   */
  private async checkCarriedSize(next: RunPlanInput & { resume: NonNullable<RunPlanInput['resume']> }): Promise<void> {
    const size = patched('carried-size-parts') ? await carriedSize(next) : await this.wholeSize(next);
    if (size <= MAX_PAYLOAD_BYTES) return;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(2);
    throw ApplicationFailure.create(
      failureOf(
        'StateTooLarge',
        `the run's plan and state are ${mb(size)} MB gzipped, over Temporal's ${mb(MAX_PAYLOAD_BYTES)} MB payload limit, so it cannot continue as new: make task outputs smaller or split the plan`,
      ),
    );
  }

  /** The whole input's gzipped size, as runs before `carried-size-parts` measured it (0 if small). */
  private async wholeSize(next: RunPlanInput): Promise<number> {
    const json = JSON.stringify(next);
    if (json.length <= MEASURE_ABOVE_CHARS) return 0;
    // The JSON text, not the value: the local activity need not parse and stringify megabytes again.
    return measurePayload(json);
  }

  /** Progress for the Web UI; rate-limited because rendering is O(running). */
  private publish(force: boolean): void {
    const now = Date.now();
    if (force || now - this.lastDetails >= DETAILS_EVERY_MS) {
      this.lastDetails = now;
      const waiting = this.limitWaits.lines;
      const progress = progressMarkdown({ ...progressOf(this.scheduler), ...(waiting.length ? { waiting } : {}) }, now);
      // An AI-made plan is shown under the progress: people want to see what the model decided.
      setCurrentDetails(this.plan.metadata ? `${progress}\n\n---\n\n${planMarkdown(this.plan)}` : progress);
    }
    if (force || now - this.lastSearchAttributes >= SEARCH_ATTRIBUTES_EVERY_MS) this.upsertSearchAttributes(false);
  }

  /** Each upsert costs a history event, so they are rate-limited too. */
  private upsertSearchAttributes(first: boolean): void {
    this.lastSearchAttributes = Date.now();
    const c = this.scheduler.state.counts;
    const done = c.succeeded + c.failed + c.skipped + c.cancelled;
    upsertSearchAttributes([
      ...(first ? [{ key: searchAttributes.plan, value: this.plan.name }] : []),
      ...(first ? [{ key: searchAttributes.total, value: this.plan.tasks.length }] : []),
      { key: searchAttributes.status, value: this.scheduler.status() },
      { key: searchAttributes.done, value: done },
    ]);
    // What it cost so far, for `ptq list`: a memo, not a search attribute, so clusters set up
    // for older ptq versions need no new registration.
    const spent = this.scheduler.spentUsd();
    if (spent !== this.memoCostUsd) {
      upsertMemo({ [COST_MEMO]: spent });
      this.memoCostUsd = spent;
    }
  }
}

/** Every template in a task's steps. */
function stepRefs(task: Task): Array<{ text: string }> {
  return stepsOf(task).flatMap((step) => stepTemplates(step));
}

/** Validate checked every template; one that still does not parse simply supplies no value. */
function safeParseRef(text: string): TemplateRef | undefined {
  try {
    return parseRef(text);
  } catch {
    return undefined;
  }
}
