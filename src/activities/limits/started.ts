import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { LimitStart } from '../../core/report/limitUse';

/**
 * ptq's own step activities, whose result is a StepResult object: a field added to it reaches the
 * workflow and never the step's output. A user activity's result is the user's value, and llm
 * turns and tool calls are parts of a step, so theirs are left as they are (and not counted).
 */
const STEP_ACTIVITIES = new Set(['runShell', 'runHttp', 'runLlm', 'runAgent', 'runBrowser']);

/**
 * The interceptor of a limit's worker that tells the workflow how long a step waited on the
 * limit: from when the server scheduled this attempt to when this worker got it. Only the worker
 * can see both (the workflow sees neither), so it adds `limitStart` to the step's result for the
 * run summary's limit section (core/report/limitUse.ts). The clocks are the server's and this
 * worker's; a skew between them shows as wait, and a wait below zero counts as none.
 */
export const limitStartInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      const info = Context.current().info;
      const startedAt = Date.now();
      const result = await next(input);
      if (!STEP_ACTIVITIES.has(info.activityType) || !isRecord(result)) return result;
      const limitStart: LimitStart = {
        waitMs: Math.max(0, startedAt - info.currentAttemptScheduledTimestampMs),
        startedAt,
      };
      return { ...result, limitStart };
    },
  },
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
