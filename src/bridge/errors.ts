/**
 * The bridge's errors. They extend ShmkitError and carry the same cross-copy brand (see
 * src/errors.ts), so `instanceof` holds in workers that load shmkit again.
 */
import { ShmkitError } from '../errors.js';

const BRAND = Symbol.for('shmkit.error');

function brand(cls: { name: string; prototype: object }): void {
  const parent = Object.getPrototypeOf(cls.prototype) as { [BRAND]?: ReadonlySet<string> };
  const names = new Set(parent[BRAND] ?? []);
  names.add(cls.name);
  Object.defineProperty(cls.prototype, BRAND, { value: names, enumerable: false });
}

/** shmkit/bridge needs ioredis, an optional peer dependency, and it could not be loaded. */
export class BridgeDependencyError extends ShmkitError {
  constructor(cause: unknown) {
    super(
      'ERR_SHMKIT_BRIDGE_DEPENDENCY',
      `shmkit/bridge needs the ioredis package, which could not be loaded (${(cause as Error)?.message ?? String(cause)}): run 'npm install ioredis'`,
      { cause },
    );
  }
}
brand(BridgeDependencyError);

/**
 * Redis could not be reached in time for a call that needs it (a two-tier cache miss, a set):
 * nothing was served from a tier that may be stale, and nothing was written. The relays
 * (channels, broadcasts) never throw this: they wait and retry, and say so in stats().
 */
export class BridgeDisconnectedError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_BRIDGE_DISCONNECTED', message, options);
  }
}
brand(BridgeDisconnectedError);

/** A call on a bridge (or one of its caches) after bridge.close(). */
export class BridgeClosedError extends ShmkitError {
  constructor(what = 'this bridge') {
    super('ERR_SHMKIT_BRIDGE_CLOSED', `${what} is closed (bridge.close() was called)`);
  }
}
brand(BridgeClosedError);
