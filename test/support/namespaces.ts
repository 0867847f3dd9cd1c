/**
 * A namespace of the test server of its own for the rate-limit tests that count requests a second:
 * limits are global to a namespace and every worker polls every limit, so in \`default\` the workers
 * of the test files running beside them would take their steps too, each pacing on its own.
 */
export const LIMITS_NAMESPACE = 'ptq-limits';

/**
 * A namespace for the one limit test that runs each step once (`maximumAttempts: 1`): a worker of
 * another test file that polls the limit takes a step, and fails it when its own test ends.
 */
export const ONE_ATTEMPT_NAMESPACE = 'ptq-one-attempt';
