// The measuring side of the store scenario: one process doing gets or sets of the 1,000 keys
// against one store: the shmkit Namespace (or its cache), lmdb-js (with or without its
// validated object cache), Redis through ioredis
// (one command at a time, or pipelines of 100), or a Map in the primary process asked over
// process.send. It warms up, tells the parent it is ready, lines up on the Barrier, runs a
// timed loop and sends { ops, elapsedMs, sink } back.
//
// argv: lineup section, backend, op (get | set | cache-get | cache-set), duration ms,
// warm-up ms, target (Namespace name | lmdb folder | Redis port | -).
import * as shmkit from '../../dist/index.js';
import { lineUp } from '../lib/processes.mjs';
import { storeValue } from '../lib/samples.mjs';

const [lineupName, backend, op, durationText, warmupText, target] = process.argv.slice(2);
const KEYS = 1000;
const PIPELINE = 100;
const NAMESPACE_SIZE = 64 * 1024 * 1024;
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const values = keys.map((_, i) => storeValue(i));
const isGet = op.endsWith('get');
let sink = 0; // sum of the ids read, checked by the parent (and keeps the reads alive)

/** A store: `pass()` does one get or set of each of the 1,000 keys (sync or async). */
async function openStore() {
  if (backend === 'shmkit') {
    const ns = shmkit.Namespace.open(target, { size: NAMESPACE_SIZE });
    const store = op.startsWith('cache') ? ns.cache('bench', { maxEntries: 10_000 }) : ns;
    const pass = isGet
      ? () => {
          for (let i = 0; i < KEYS; i++) sink += store.get(keys[i]).id;
          return KEYS;
        }
      : () => {
          for (let i = 0; i < KEYS; i++) store.set(keys[i], values[i]);
          return KEYS;
        };
    return { sync: true, pass, close: () => ns.close() };
  }
  if (backend === 'lmdb' || backend === 'lmdb-validated') {
    // lmdb-validated: lmdb-js's object cache in the mode that is safe across processes (each
    // get checks the entry's transaction id and decodes again only when it changed).
    const { open } = await import('lmdb');
    const db = open({ path: target, noSync: true, ...(backend === 'lmdb-validated' ? { cache: { validated: true } } : {}) });
    const pass = isGet
      ? () => {
          for (let i = 0; i < KEYS; i++) sink += db.get(keys[i]).id;
          return KEYS;
        }
      : () => {
          for (let i = 0; i < KEYS; i++) db.putSync(keys[i], values[i]);
          return KEYS;
        };
    return { sync: true, pass, close: () => db.close() };
  }
  if (backend === 'redis' || backend === 'redis-pipeline') {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis({ host: '127.0.0.1', port: Number(target), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await redis.connect();
    let pass;
    if (backend === 'redis') {
      pass = isGet
        ? async () => {
            for (let i = 0; i < KEYS; i++) sink += JSON.parse(await redis.get(keys[i])).id;
            return KEYS;
          }
        : async () => {
            for (let i = 0; i < KEYS; i++) await redis.set(keys[i], JSON.stringify(values[i]));
            return KEYS;
          };
    } else {
      pass = async () => {
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
    }
    return { sync: false, pass, close: () => redis.quit() };
  }
  if (backend === 'ipc') {
    // Request / response with the primary, one at a time (json serialization, fork's default).
    let pending = null;
    const onMessage = (message) => {
      if (message?.type === 'reply') pending(message.value);
    };
    process.on('message', onMessage);
    const ask = (message) =>
      new Promise((resolve) => {
        pending = resolve;
        process.send(message);
      });
    const pass = isGet
      ? async () => {
          for (let i = 0; i < KEYS; i++) sink += (await ask({ type: 'get', key: keys[i] })).id;
          return KEYS;
        }
      : async () => {
          for (let i = 0; i < KEYS; i++) await ask({ type: 'set', key: keys[i], value: values[i] });
          return KEYS;
        };
    return { sync: false, pass, close: () => process.off('message', onMessage) };
  }
  throw new Error(`unknown backend ${backend}`);
}

/** Whole passes until `ms` have gone by; returns the ops done and the time they took. */
async function timed(store, ms) {
  let ops = 0;
  const started = performance.now();
  let now = started;
  if (store.sync) {
    do {
      ops += store.pass();
      now = performance.now();
    } while (now - started < ms);
  } else {
    do {
      ops += await store.pass();
      now = performance.now();
    } while (now - started < ms);
  }
  return { ops, elapsedMs: now - started };
}

async function main() {
  const lineup = shmkit.Section.open(lineupName);
  const store = await openStore();
  await timed(store, Number(warmupText));
  sink = 0;
  process.send({ type: 'ready' });
  lineUp(lineup);
  const result = await timed(store, Number(durationText));
  await store.close();
  lineup.close();
  return { type: 'result', ...result, sink };
}

main().then(
  (result) => process.send(result, () => process.disconnect()),
  (error) => {
    console.error(`store-client ${backend} ${op}:`, error);
    process.exit(1);
  },
);
