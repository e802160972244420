export { Pool, type PoolConnectOptions, type PoolStats } from './pool.js';
export type { PoolCodec, PoolOptions, RunOptions } from './options.js';
export type { MapOptions } from './map.js';
export type { TimeSummary } from './submitter.js';
export type { TaskContext } from './worker-runtime.js';
