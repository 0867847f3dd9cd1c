/** The pure core: schema, graph, scheduler and simulator. No Temporal, no clock, no I/O. */
export * from './duration';
export * from './graph';
export * from './limits';
export * from './plan';
export * from './progress';
export * from './scheduler';
export * from './simulate';
export * from './status';
export * from './steps';
export * from './summary';
export * from './usage';
export * from './validate';
export * from './params';
export * from './jsonOutput';
export * from './map';
export * from './retry';
export * from './events';
