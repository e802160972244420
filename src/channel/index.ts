export { Broadcast, type BroadcastCreateOptions, type BroadcastMessage, type BroadcastOpenOptions } from './broadcast.js';
export { Channel, DEFAULT_CAPACITY, type ChannelCreateOptions, type ChannelOpenOptions, type MessageHandler } from './channel.js';
export { Mailbox, type MailboxCreateOptions } from './mailbox.js';
export { MpmcQueue } from './mpmc-queue.js';
export { MpscRing } from './mpsc-ring.js';
export { RingBase } from './ring-base.js';
export type { RingKind } from './ring-kind.js';
export { SpscRing } from './spsc-ring.js';
