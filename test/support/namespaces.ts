/**
 * A namespace of the test server of its own for the rate-limit tests that count requests a second:
 * limits are global to a namespace and every worker polls every limit, so in \`default\` the workers
 * of the test files running beside them would take their steps too, each pacing on its own.
 */
export const LIMITS_NAMESPACE = 'ptq-limits';

/**
 * A namespace for the tests of what runs show of their limits: in `default`, a worker of another
 * test file polled their limit, took a step and ended with its own test, so the step failed (when it
 * had one attempt) or started late (and the rate achieved read 2.6/s under a 5/s limit).
 */
export const LIMIT_VIEW_NAMESPACE = 'ptq-limit-view';
