import type { Step as LiveStep, Task } from '../../core/plan/plan';
import { stepsOf as liveStepsOf } from '../../core/plan/steps';

/**
 * The step types the frozen workflows know: every live one but those added after they froze. Their
 * runs started before a plan could hold such a step (the live types run every new plan), so their
 * tasks have none; the frozen code keeps its exhaustive switches without a case it never meets.
 */
export type Step = Exclude<LiveStep, { type: 'browser' }>;

/** A task's steps, as the frozen workflows see them. */
export function stepsOf(task: Task): Step[] {
  return liveStepsOf(task) as Step[];
}
