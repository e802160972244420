/**
 * The pools this thread made (it owns them and supervises their workers) and has not ended
 * yet. A pool worker that stops destroys them before its thread or process ends: their
 * workers must not outlive it, and a thread cannot even finish exiting while a worker thread
 * of its own is still parked in a wait (docs/decisions.md, "Pool").
 *
 * The set lives on globalThis so that a handler module that loads another copy of shmkit
 * (another path to the same package) registers its pools where the worker runtime looks.
 */

/** What the registry needs of a pool: only destroy(), so another copy's Pool fits too. */
interface OwnedPool {
  destroy(): Promise<void>;
}

const OWNED_POOLS = Symbol.for('shmkit.pool.owned');

function ownedPools(): Set<OwnedPool> {
  const holder = globalThis as unknown as Record<symbol, Set<OwnedPool> | undefined>;
  return (holder[OWNED_POOLS] ??= new Set());
}

/** A pool made by this thread: destroyed with it if it is a pool worker. */
export function trackOwnedPool(pool: OwnedPool): void {
  ownedPools().add(pool);
}

/** The pool ended (close() or destroy() finished). */
export function untrackOwnedPool(pool: OwnedPool): void {
  ownedPools().delete(pool);
}

/**
 * Destroys every pool this thread owns. Resolves true once all have ended, false if some did
 * not within `timeoutMs` (the caller then ends harder). A destroy() that fails counts as ended.
 */
export async function destroyOwnedPools(timeoutMs: number): Promise<boolean> {
  const pools = [...ownedPools()];
  if (pools.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
  const ended = Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined))).then(() => true as const);
  try {
    return await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}
