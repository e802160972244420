/**
 * shmkit/bridge: a namespace attached to Redis, for more than one host (docs/multi-host.md).
 * Needs ioredis (an optional peer dependency: `npm install ioredis`), loaded when a bridge starts.
 */
export { Bridge, startBridge, type BridgeOptions, type ChannelExportOptions, type ChannelImportOptions, type PoolExportOptions, type PoolImportOptions } from './bridge.js';
export { PoolExport, type PoolExportStats } from './pool-export.js';
export { PoolImport, type PoolImportStats } from './pool-import.js';
export { ChannelExport, type ChannelExportStats } from './channel-export.js';
export { ChannelImport, type ChannelImportStats, type IdentifiedMessage } from './channel-import.js';
export { BroadcastExport, BroadcastImport, type BroadcastRelayStats } from './broadcast-relay.js';
export { TwoTierCache, type TwoTierCacheOptions, type TwoTierCacheStats } from './two-tier-cache.js';
export { BridgeClosedError, BridgeDependencyError, BridgeDisconnectedError } from './errors.js';
export { loadRedis, type RedisImporter } from './load-redis.js';
