// What a stream producer (children/stream-producer.mjs, children/stream-worker.mjs) and the
// parent (lib/streams.mjs) say to each other besides the payload.
//
// A round: the parent sends { size, payload, ms, target }; both line up on the Barrier (forked
// producers); the producer sends for `ms`, then the transport's end marker, then replies
// { bench: 'sent', sent }. The parent counts what arrives from the first message to the end
// marker, and checks the count against `sent`.

/** Control messages on the IPC channel: objects with a string `bench` key (no payload has one). */
export const isControl = (message) => message !== null && typeof message === 'object' && typeof message.bench === 'string';

/** End of a round on process.send, postMessage and MessagePort. */
export const END = { bench: 'end' };

/** End of a round on a raw channel: an empty message. On an object channel: null. */
export const RAW_END = new Uint8Array(0);
export const OBJECT_END = null;

/** End of a round on the Unix socket: a frame length no frame has. */
export const SOCKET_END = 0xffffffff;

/** How many messages the batch rows (sendMany, writeMany) hand over per call. */
export const BATCH = 32;

/** The most a ring holds for `size`-byte messages: 2 MiB, 8 MiB from 64 KiB up. */
export const ringCapacity = (size) => (size >= 65536 ? 1 << 23 : 1 << 21);

/** The same bytes for every transport: `size` bytes of 7. */
export const payloadBytes = (size) => new Uint8Array(size).fill(7);
