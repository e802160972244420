/**
 * Two handles of one channel on a SharedArrayBuffer (this thread's tests play sender and
 * receiver), and the buffer itself for tests that look at the ring's words.
 */
import { Channel, SharedArrayBufferWaiter } from '../../src/index.js';

export function onSab<T = unknown>(kind: 'spsc' | 'mpsc' | 'mpmc', capacity = 4096, codec?: 'raw'): [Channel<T>, Channel<T>, SharedArrayBuffer] {
  const sab = new SharedArrayBuffer(Channel.byteLength(capacity));
  Channel.initialize(sab, 0, { capacity, kind });
  const waiter = new SharedArrayBufferWaiter(sab);
  return [new Channel<T>(sab, 0, waiter, { codec }), new Channel<T>(sab, 0, waiter, { codec }), sab];
}
