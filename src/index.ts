/**
 * shmkit: named shared-memory sections for Node.js threads and processes.
 */
import { installSectionProvider } from './channel/own-section.js';
import { sectionProvider } from './named/index.js';

// Channel.create / open, Mailbox and Broadcast ones put their ring on a section of their own
// through this provider (channel/ does not import section/: SPEC.md's layer table).
installSectionProvider(sectionProvider);

export * from './errors.js';
export { Section } from './section/index.js';
export { SectionWaiter } from './section/section-waiter.js';
export type {
  SectionCreateOptions,
  MappedSection,
  SectionInfo,
  SectionOpenOptions,
  SectionOpenOrCreateOptions,
  SectionUnlinkOptions,
} from './section/index.js';
export {
  Barrier,
  Event,
  Mutex,
  Semaphore,
  SharedArrayBufferWaiter,
  type EventOptions,
  type LockGrant,
  type MutexOptions,
  type WaitOptions,
  type WaitOptionsArg,
  type Waiter,
  type WaiterIdentity,
  type WaitResult,
} from './sync/index.js';
export {
  Broadcast,
  Channel,
  Mailbox,
  MpmcQueue,
  MpscRing,
  RingBase,
  SpscRing,
  type BroadcastCreateOptions,
  type BroadcastMessage,
  type BroadcastOpenOptions,
  type ChannelCreateOptions,
  type ChannelOpenOptions,
  type MessageHandler,
  type MailboxCreateOptions,
  type RingKind,
} from './channel/index.js';
export { msgpackCodec, msgpackJavascriptCodec, rawCodec, type Codec, type CodecOption, type MsgpackCodecOptions, type Structure, type StructureStore } from './codec/index.js';
export { Namespace, DEFAULT_MAX_SIZE, DEFAULT_NAMESPACE_SIZE, type NamespaceInspection, type NamespaceOptions } from './namespace.js';
export { Cache, type CacheLimits, type CacheOptions, type CacheStats } from './store/cache.js';
export type { GetOrSetOptions, GetOrSetOptionsArg } from './store/single-flight.js';
export { SharedHeap, type HeapStats } from './store/heap.js';
export type { DirectoryEntry, ObjectKind } from './store/directory.js';
