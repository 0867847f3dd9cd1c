/**
 * Workflow entry points; the worker bundles this file. The live types, which the client starts, and
 * the frozen ones (./legacy) under their old names, so that runs recorded on them replay.
 */
export { ptqRun } from './ptqRun';
export { ptqTask } from './ptqTask';
export { ptqMap } from './ptqMap';
export { ptqMapShard } from './ptqMapShard';
export { runPlan, runTask, runMap } from './legacy';
