import { ApplicationFailure, CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { BuiltinActivities, OpenWorkspace, TaskPlace } from '../activities';
import { failureOf, neverRetried } from '../core/failures';
import type { MergeRecord } from '../core/schedule/scheduler';
import type { Task, Usage, Workspace } from '../core/plan/plan';
import { sumUsage } from '../core/report/usage';
import type { TaskResult } from './ptqTask';

const git = proxyActivities<BuiltinActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: neverRetried('WorkspaceError') },
});

/** What a task in a workspace reports: its result, and how its merge went. */
export type WorkspaceResult = TaskResult & { merge?: MergeRecord };

/**
 * A run's git workspace, on the workflow side: each task runs in a fresh worktree made from the
 * integration branch when it starts, and its branch is merged back when it succeeds. Merges run
 * one at a time, in the order tasks finish, and a task completes only once merged, so a dependent
 * always starts from its dependencies' merged work.
 */
export class RunWorkspace {
  /** The merge queue: each merge waits for the one before. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly open: OpenWorkspace,
    private readonly spec: Workspace,
  ) {}

  static async open(runId: string, spec: Workspace): Promise<OpenWorkspace> {
    return git.openWorkspace({ runId, workspace: spec });
  }

  /**
   * Runs a task in its worktree (`run` gets the place to work in), then merges it. With
   * `onConflict: retry`, a conflicting task runs once more from the new integration head.
   */
  async run(task: Task, run: (place: TaskPlace) => Promise<TaskResult>): Promise<WorkspaceResult> {
    if (this.spec.isolation === 'none') {
      const place = { worktree: this.open.integration, branch: this.open.branch };
      const result = await run(place);
      await this.serially(() => git.mergeTask({ ws: this.open, task: task.id, title: task.title ?? task.id, place }));
      return result;
    }
    const tries = this.spec.onConflict === 'retry' ? 2 : 1;
    let conflicts = 0;
    let spent: Usage | undefined;
    for (let attempt = 1; ; attempt++) {
      const group = this.spec.isolation === 'group' ? task.group : undefined;
      const place = await git.prepareWorktree({ ws: this.open, task: task.id, ...(group ? { group } : {}) });
      const ran = await run(place);
      // A run that conflicted still cost what it cost.
      spent = sumUsage(spent, ran.usage);
      const result = spent ? { ...ran, usage: spent } : ran;
      const merged = await this.serially(() =>
        git.mergeTask({ ws: this.open, task: task.id, title: task.title ?? task.id, place }),
      );
      if (merged.ok) return { ...result, merge: { commits: merged.commits, conflicts } };
      conflicts++;
      if (attempt >= tries) {
        throw ApplicationFailure.create({
          ...failureOf(
            'TaskFailed',
            `merge conflict in ${merged.conflicts.join(', ') || 'the task branch'}${tries > 1 ? ' (also after running again from the new integration head)' : ''}`,
          ),
          details: [
            {
              attempts: result.attempts,
              worker: result.worker,
              output: result.output,
              usage: result.usage,
              merge: { commits: 0, conflicts, files: merged.conflicts },
            },
          ],
        });
      }
    }
  }

  /**
   * Removes worktrees and task branches; the integration branch stays for review. A cleanup that
   * fails even after its retries must not cost the run its summary: `ptq clean RUN` finishes it.
   */
  async close(): Promise<void> {
    await CancellationScope.nonCancellable(() => git.closeWorkspace({ ws: this.open })).catch(() => undefined);
  }

  /** Merges are not cancelled halfway: a task that finished keeps its work. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => CancellationScope.nonCancellable(fn));
    this.queue = next.catch(() => undefined);
    return next;
  }
}
