// The measuring side of the store scenario: one process holding one store open, measuring
// gets or sets of the 1,000 keys on each command from the primary. The store is the shmkit
// Namespace (or its cache), lmdb-js (with or without its validated object cache), Redis
// through ioredis (one command at a time, or pipelines of 100), or a Map in the primary
// process asked over process.send. The process is kept for every op of its store (starting
// Node and loading the store costs more than a measurement).
//
// argv: backend, target (Namespace name | lmdb folder | Redis port | -).
// command: { type: 'measure', op (get | set | cache-get | cache-set), durationMs, warmupMs,
// trials, lineup }: warm up, reply { type: 'ready' }; then per trial line up on the Barrier,
// run whole passes over the keys for durationMs, reply { type: 'trial', ops, elapsedMs, sink }.
// { type: 'stop' } closes the store and exits.
import * as shmkit from '../../dist/index.js';
import { joinLineup } from '../lib/processes.mjs';
import { storeValue } from '../lib/samples.mjs';

const [backend, target] = process.argv.slice(2);
const KEYS = 1000;
const PIPELINE = 100;
const NAMESPACE_SIZE = 64 * 1024 * 1024;
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const values = keys.map((_, i) => storeValue(i));
let sink = 0; // sum of the ids read, checked by the parent (and keeps the reads alive)

/** One get or set pass over the 1,000 keys, on anything with get(key) / set(key, value). */
function syncPass(store, isGet) {
  return isGet
    ? () => {
        for (let i = 0; i < KEYS; i++) sink += store.get(keys[i]).id;
        return KEYS;
      }
    : () => {
        for (let i = 0; i < KEYS; i++) store.set(keys[i], values[i]);
        return KEYS;
      };
}

/** The store: passFor(op) is a pass of that op (sync, or async for the network stores). */
async function openStore() {
  if (backend === 'shmkit') {
    const ns = shmkit.Namespace.open(target, { size: NAMESPACE_SIZE });
    let cache = null;
    const passFor = (op) => syncPass(op.startsWith('cache') ? (cache ??= ns.cache('bench', { maxEntries: 10_000 })) : ns, op.endsWith('get'));
    return { sync: true, passFor, close: () => ns.close() };
  }
  if (backend === 'lmdb' || backend === 'lmdb-validated') {
    // lmdb-validated: lmdb-js's object cache in the mode that is safe across processes (each
    // get checks the entry's transaction id and decodes again only when it changed).
    const { open } = await import('lmdb');
    const db = open({ path: target, noSync: true, ...(backend === 'lmdb-validated' ? { cache: { validated: true } } : {}) });
    const store = { get: (key) => db.get(key), set: (key, value) => db.putSync(key, value) };
    return { sync: true, passFor: (op) => syncPass(store, op.endsWith('get')), close: () => db.close() };
  }
  if (backend === 'redis' || backend === 'redis-pipeline') {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis({ host: '127.0.0.1', port: Number(target), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await redis.connect();
    const oneAtATime = (isGet) =>
      isGet
        ? async () => {
            for (let i = 0; i < KEYS; i++) sink += JSON.parse(await redis.get(keys[i])).id;
            return KEYS;
          }
        : async () => {
            for (let i = 0; i < KEYS; i++) await redis.set(keys[i], JSON.stringify(values[i]));
            return KEYS;
          };
    const pipelined = (isGet) => async () => {
      for (let start = 0; start < KEYS; start += PIPELINE) {
        const pipeline = redis.pipeline();
        for (let i = start; i < start + PIPELINE; i++) {
          if (isGet) pipeline.get(keys[i]);
          else pipeline.set(keys[i], JSON.stringify(values[i]));
        }
        for (const [error, text] of await pipeline.exec()) {
          if (error) throw error;
          if (isGet) sink += JSON.parse(text).id;
        }
      }
      return KEYS;
    };
    const passFor = (op) => (backend === 'redis' ? oneAtATime : pipelined)(op.endsWith('get'));
    return { sync: false, passFor, close: () => redis.quit() };
  }
  if (backend === 'ipc') {
    // Request / response with the primary, one at a time (json serialization, fork's default).
    const ask = (message) =>
      new Promise((resolve) => {
        pendingReply = resolve;
        process.send(message);
      });
    const passFor = (op) =>
      op.endsWith('get')
        ? async () => {
            for (let i = 0; i < KEYS; i++) sink += (await ask({ type: 'get', key: keys[i] })).id;
            return KEYS;
          }
        : async () => {
            for (let i = 0; i < KEYS; i++) await ask({ type: 'set', key: keys[i], value: values[i] });
            return KEYS;
          };
    return { sync: false, passFor, close: () => {} };
  }
  throw new Error(`unknown backend ${backend}`);
}

/** Whole passes until `ms` have gone by; returns the ops done and the time they took. */
async function timed(sync, pass, ms) {
  let ops = 0;
  const started = performance.now();
  let now = started;
  if (sync) {
    do {
      ops += pass();
      now = performance.now();
    } while (now - started < ms);
  } else {
    do {
      ops += await pass();
      now = performance.now();
    } while (now - started < ms);
  }
  return { ops, elapsedMs: now - started };
}

async function measure(store, { op, durationMs, warmupMs, trials, lineup: lineupName }) {
  const pass = store.passFor(op);
  const section = shmkit.Section.open(lineupName);
  const lineup = joinLineup(section);
  try {
    await timed(store.sync, pass, warmupMs);
    process.send({ type: 'ready' });
    for (let trial = 0; trial < trials; trial++) {
      sink = 0;
      lineup.wait();
      const result = await timed(store.sync, pass, durationMs);
      process.send({ type: 'trial', ...result, sink });
    }
  } finally {
    lineup.close();
    section.close();
  }
}

let pendingReply = null;
const store = await openStore().catch((error) => {
  console.error(`store-client ${backend}:`, error);
  process.exit(1);
});
let chain = Promise.resolve();
process.on('message', (message) => {
  if (message.type === 'reply') return pendingReply(message.value);
  chain = chain
    .then(async () => {
      if (message.type === 'measure') return measure(store, message);
      await store.close();
      process.disconnect();
    })
    .catch((error) => {
      console.error(`store-client ${backend} ${message.op ?? message.type}:`, error);
      process.exit(1);
    });
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'open' });
