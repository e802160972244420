export { Barrier } from './barrier.js';
export { Event, type EventOptions } from './event.js';
export { Mutex, type LockGrant, type MutexOptions } from './mutex.js';
export { SharedArrayBufferWaiter } from './sab-waiter.js';
export { Semaphore } from './semaphore.js';
export type { WaitOptions, WaitOptionsArg } from './wait-options.js';
export type { Waiter, WaiterIdentity, WaitResult } from './waiter.js';
