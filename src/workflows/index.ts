/** Workflow entry points; the worker bundles this file. */
export { runPlan } from './runPlan';
export { runTask } from './runTask';
export { runMap } from './runMap';
