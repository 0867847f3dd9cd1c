import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * Names the task in the worker's log lines about a step ("Activity failed (RUN/TASK runShell attempt
 * 2)"). A child task's workflow id says it already; an inline task's steps share the run's, so the
 * task comes from the step's options, where the workflow puts it.
 */
export const logTaskInterceptor: ActivityInterceptorsFactory = () => {
  let task: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        const options = input.args[1] as { task?: unknown } | undefined;
        if (options && typeof options === 'object' && typeof options.task === 'string') task = options.task;
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next(task === undefined ? attributes : { ...attributes, task }),
    },
  };
};
