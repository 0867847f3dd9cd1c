/**
 * The frozen workflow types, registered under their old names so that runs recorded on them replay
 * (see the header of each file). Nothing starts them any more; a run continues as the type it is.
 */
export { runPlan } from './runPlan';
export { runTask } from './runTask';
export { runMap } from './runMap';
