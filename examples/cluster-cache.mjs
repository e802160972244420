// One cache for every cluster worker: each worker asks the shared cache for the same 200
// users; a user missing from the cache is loaded by exactly one worker (single flight across
// processes), and the others wait for it instead of loading it again.
//
//   node examples/cluster-cache.mjs [workers=4] [name]
import cluster from 'node:cluster';
import { once } from 'node:events';
import { Namespace } from 'shmkit';

const USERS = 200;

/** A slow "database": counts its calls in the namespace, so the primary can check them. */
async function loadUser(ns, key) {
  ns.increment('loads');
  await new Promise((resolve) => setTimeout(resolve, 5));
  const id = Number(key.slice('user:'.length));
  return { id, name: `user ${id}`, joined: new Date(Date.UTC(2020, 0, 1 + id)) };
}

if (cluster.isPrimary) {
  const workers = Number(process.argv[2] ?? 4);
  const name = process.argv[3] ?? `cluster-cache-${process.pid}`;
  const ns = Namespace.open(name); // the primary makes it; workers open it by name
  try {
    ns.cache('users', { maxEntries: 10_000, ttl: 60_000 }); // ttl in ms
    cluster.setupPrimary({ args: [String(workers), name] });
    const exits = Array.from({ length: workers }, () => once(cluster.fork(), 'exit'));
    for (const exit of exits) {
      const [code] = await exit;
      if (code !== 0) throw new Error(`a worker exited with code ${code}`);
    }
    const stats = ns.cache('users').stats();
    const loads = ns.get('loads');
    console.log(`${workers} workers asked for ${USERS} users each: ${loads} loads, ${stats.hits} hits, ${stats.misses} misses, ${stats.entries} entries`);
    console.log(loads === USERS ? 'ok: every user was loaded exactly once' : `WRONG: ${loads} loads for ${USERS} users`);
    if (loads !== USERS) process.exitCode = 1;
  } finally {
    ns.destroy();
  }
} else {
  const ns = Namespace.open(process.argv[3], { reuse: true });
  const users = ns.cache('users'); // opened by name: no options, it takes the primary's
  for (let id = 0; id < USERS; id++) {
    const user = await users.getOrSet(`user:${id}`, (key) => loadUser(ns, key), { timeout: 30_000 });
    if (user.id !== id || !(user.joined instanceof Date)) throw new Error(`wrong user for ${id}`);
  }
  ns.close(); // lets go of this worker's handles
  cluster.worker.disconnect(); // a cluster worker keeps its IPC channel open, and so its process, until it disconnects
}
