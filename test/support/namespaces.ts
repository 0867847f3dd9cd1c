/**
 * A namespace of the test server of its own for the rate-limit tests that count requests a second:
 * limits are global to a namespace and every worker polls every limit, so in \`default\` the workers
 * of the test files running beside them would take their steps too, each pacing on its own.
 */
export const LIMITS_NAMESPACE = 'ptq-limits';
