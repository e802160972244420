/**
 * Loads ioredis when a bridge starts, never before: `import 'shmkit'` must not need it (it is
 * an optional peer dependency), and a missing ioredis is a BridgeDependencyError that says
 * what to install, not a bare ERR_MODULE_NOT_FOUND.
 */
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { BridgeDependencyError } from './errors.js';

/** The ioredis client class, as the bridge uses it. */
export type RedisConstructor = new (options: RedisOptions) => RedisClient;

/** How the bridge imports ioredis: `() => import('ioredis')` unless a test injects another. */
export type RedisImporter = () => Promise<unknown>;

const defaultImporter: RedisImporter = () => import('ioredis');

/** The ioredis client class, or BridgeDependencyError when ioredis cannot be imported. */
export async function loadRedis(importer: RedisImporter = defaultImporter): Promise<RedisConstructor> {
  let loaded: unknown;
  try {
    loaded = await importer();
  } catch (error) {
    throw new BridgeDependencyError(error);
  }
  const module = loaded as { Redis?: unknown; default?: unknown };
  const Redis = module.Redis ?? module.default;
  if (typeof Redis !== 'function') throw new BridgeDependencyError(new Error('the module loaded as ioredis has no Redis class'));
  return Redis as RedisConstructor;
}
