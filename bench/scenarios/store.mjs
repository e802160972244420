// Store and cache: get and set of 1,000 keys holding ~100-byte objects (storeValue), in the
// shmkit Namespace and its cache, next to lmdb-js, Redis (ioredis over loopback, one command
// at a time and pipelined) and a Map in the primary process asked over process.send. Every
// measurement runs in forked store-client processes: each warms up, then runs the trials,
// every trial started on the Barrier with the primary. The primary only holds the stores open
// (and answers the process.send requests).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// A namespace import: a named import of an export dist does not have yet would not link.
import * as shmkit from '../../dist/index.js';
import { atExit } from '../lib/cleanup.mjs';
import { benchName, createLineup, joinLineup, removeLineup, startChild } from '../lib/processes.mjs';
import { LOOPBACK, obtainRedis, startRedis } from '../lib/redis-server.mjs';
import { rateRow, skippedRow } from '../lib/rows.mjs';
import { median } from '../lib/stats.mjs';
import { storeValue } from '../lib/samples.mjs';

const { Namespace } = shmkit;
const KEYS = 1000;
const NAMESPACE_SIZE = 64 * 1024 * 1024;
const ID_SUM = (KEYS * (KEYS - 1)) / 2; // what one get pass adds to a client's sink

const GET = 'store get, 1 process';
const GET2 = 'store get, 2 reader processes';
const SET = 'store set, 1 process';
const CACHE_GET = 'cache get, 1 process';
const CACHE_SET = 'cache set, 1 process';

const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const values = keys.map((_, i) => storeValue(i));

export const family = 'store';

/**
 * Measures `op` on `clients` (store-client processes, all of one store) for `trials` trials,
 * each started on a Barrier with this process, and returns the summed rate of each trial.
 * This process joins a trial's lineup only once every client has reported the trial before,
 * so its event loop is free while they run (the process.send clients ask it for values).
 */
async function measure(clients, { op, durationMs, warmupMs, trials }) {
  const lineupName = benchName('store-lineup');
  const section = createLineup(lineupName, clients.length + 1, 0);
  const lineup = joinLineup(section);
  try {
    for (const client of clients) client.child.send({ type: 'measure', op, durationMs, warmupMs, trials, lineup: lineupName });
    await Promise.all(clients.map((client) => client.next('ready')));
    const samples = [];
    const perProcess = [];
    for (let trial = 0; trial < trials; trial++) {
      lineup.wait();
      const results = await Promise.all(clients.map((client) => client.next('trial')));
      for (const result of results) {
        const expected = op.endsWith('get') ? (result.ops / KEYS) * ID_SUM : 0;
        if (result.sink !== expected) throw new Error(`${clients[0].backend} ${op}: read back ${result.sink}, expected ${expected}`);
      }
      const rates = results.map((result) => result.ops / (result.elapsedMs / 1000));
      samples.push(rates.reduce((a, b) => a + b, 0));
      perProcess.push(rates);
    }
    return { samples, perProcess, processes: clients.length };
  } finally {
    lineup.close();
    removeLineup(section);
  }
}

/**
 * Starts a store-client for `backend` (kept for every op of that store); resolves once its
 * store is open. It answers the client's process.send requests from `map`; next(type) is the
 * client's next message, which must be of that type.
 */
async function startClient(backend, target, map) {
  const handle = startChild('store-client.mjs', [backend, target], { collect: false });
  const { child } = handle;
  const inbox = [];
  const waiting = [];
  let failure = null;
  child.on('message', (message) => {
    if (message.type === 'get') child.send({ type: 'reply', value: map.get(message.key) });
    else if (message.type === 'set') {
      map.set(message.key, message.value);
      child.send({ type: 'reply', value: true });
    } else if (waiting.length > 0) waiting.shift().resolve(message);
    else inbox.push(message);
  });
  child.once('close', (code, signal) => { // 'close': a last message can arrive after 'exit'
    failure = new Error(`store-client ${backend} exited (${signal ?? code})`);
    for (const waiter of waiting.splice(0)) waiter.reject(failure);
  });
  const next = async (type, timeoutMs = 120_000) => {
    if (inbox.length === 0 && failure) throw failure;
    let timer;
    const message =
      inbox.length > 0
        ? inbox.shift()
        : await new Promise((resolve, reject) => {
            const waiter = { resolve, reject };
            waiting.push(waiter);
            timer = setTimeout(() => {
              handle.kill();
              reject(new Error(`store-client ${backend}: no '${type}' within ${timeoutMs} ms`));
            }, timeoutMs);
          }).finally(() => clearTimeout(timer));
    if (message.type !== type) throw new Error(`store-client ${backend}: expected '${type}', got '${message.type}'`);
    return message;
  };
  const client = {
    backend,
    child,
    next,
    async stop() {
      if (child.connected) child.send({ type: 'stop' });
      await handle.exit(10_000);
    },
  };
  await next('open');
  return client;
}

// --- The scenario.

export default async function run({ quick, trials }) {
  const durationMs = quick ? 100 : 500;
  const warmupMs = quick ? 50 : 300;
  const rows = [];
  const row = (group, name, kind, result, extra = {}) =>
    rows.push(rateRow(group, name, kind, result.samples, { unit: 'ops/s', processes: result.processes, perProcess: result.perProcess, ...extra }));
  const haveShmkit = typeof Namespace === 'function';
  const nsName = benchName('store');
  const lmdbDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-bench-lmdb-'));
  const forgetDirectory = atExit(() => fs.rmSync(lmdbDirectory, { recursive: true, force: true }));
  const forgetNamespace = haveShmkit ? atExit(() => Namespace.destroy(nsName)) : () => {};
  const map = new Map(keys.map((key, i) => [key, values[i]]));
  let ns = null;
  let db = null;
  let redis = null;
  const clients = [];
  try {
    // Fill every store with the same 1,000 values before any client starts.
    if (haveShmkit) {
      ns = Namespace.open(nsName, { size: NAMESPACE_SIZE });
      const cache = ns.cache('bench', { maxEntries: 10_000 });
      for (let i = 0; i < KEYS; i++) {
        ns.set(keys[i], values[i]);
        cache.set(keys[i], values[i]);
      }
    }
    const { open } = await import('lmdb');
    db = open({ path: lmdbDirectory, noSync: true });
    for (let i = 0; i < KEYS; i++) db.putSync(keys[i], values[i]);

    const obtained = obtainRedis();
    let redisSkipped = obtained.reason;
    if (obtained.binary) {
      try {
        redis = await startRedis(obtained.binary);
        await redis.client.mset(...keys.flatMap((key, i) => [key, JSON.stringify(values[i])]));
        console.error(`  store: redis-server ${redis.version} on ${LOOPBACK}:${redis.port}, ${obtained.how}`);
      } catch (error) {
        redisSkipped = error.message;
        redis = null;
      }
    }

    // The clients: one process per store (two for the stores read by two readers at once),
    // started together, each kept for every op of its store.
    const specs = [['lmdb', lmdbDirectory], ['lmdb', lmdbDirectory], ['lmdb-validated', lmdbDirectory], ['lmdb-validated', lmdbDirectory], ['ipc', '-']];
    if (haveShmkit) specs.push(['shmkit', nsName], ['shmkit', nsName]);
    if (redis) specs.push(['redis', redis.port], ['redis-pipeline', redis.port]);
    const started = await Promise.allSettled(specs.map(([backend, target]) => startClient(backend, target, map)));
    for (const outcome of started) if (outcome.status === 'fulfilled') clients.push(outcome.value);
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    const pick = (backend, count = 1) => clients.filter((client) => client.backend === backend).slice(0, count);
    const common = { durationMs, warmupMs, trials };
    const shm = (op, processes = 1) => measure(pick('shmkit', processes), { op, ...common });
    const lmdb = (op, processes = 1, backend = 'lmdb') => measure(pick(backend, processes), { op, ...common });
    const red = (backend, op) => measure(pick(backend), { op, ...common });
    const ipc = (op) => measure(pick('ipc'), { op, ...common });

    // 1. get, one process.
    const shmGet = haveShmkit ? await shm('get') : null;
    if (shmGet) row(GET, 'shmkit Namespace get', 'shmkit', shmGet);
    else rows.push(skippedRow(GET, 'shmkit Namespace', 'not in this build'));
    const lmdbGet = await lmdb('get');
    row(GET, 'lmdb-js get (msgpack, no lmdb-js cache)', 'peer', lmdbGet);
    // shmkit keeps each value decoded once per version in the reading process; lmdb-js's
    // validated cache is the same idea (and the like-for-like peer for repeated reads).
    const lmdbCachedGet = await lmdb('get', 1, 'lmdb-validated');
    row(GET, 'lmdb-js get, cache: { validated: true }', 'peer', lmdbCachedGet);
    const peerGets = [];
    if (redis) {
      peerGets.push(['Redis GET + JSON.parse (ioredis, loopback)', await red('redis', 'get')]);
      peerGets.push(['Redis GET + JSON.parse, pipelines of 100', await red('redis-pipeline', 'get')]);
    } else {
      rows.push(skippedRow(GET, 'Redis', redisSkipped));
    }
    peerGets.push(['process.send cache (Map in primary, json)', await ipc('get')]);
    for (const [name, result] of peerGets) row(GET, name, 'peer', result);

    // 2. get, two reader processes at once.
    const shmGet2 = haveShmkit ? await shm('get', 2) : null;
    const lmdbGet2 = await lmdb('get', 2);
    const lmdbCachedGet2 = await lmdb('get', 2, 'lmdb-validated');
    if (shmGet2) row(GET2, 'shmkit Namespace get, 2 readers total', 'shmkit', shmGet2);
    row(GET2, 'lmdb-js get, 2 readers total', 'peer', lmdbGet2);
    row(GET2, 'lmdb-js get, validated cache, 2 readers total', 'peer', lmdbCachedGet2);
    const scalings = [['shmkit', shmGet2, shmGet], ['lmdb-js', lmdbGet2, lmdbGet], ['lmdb-js cached', lmdbCachedGet2, lmdbCachedGet]];
    for (const [label, two, one] of scalings) {
      if (!two) continue;
      const scaling = median(two.samples) / median(one.samples); // medians of this run
      const perReader = { ...two, samples: two.samples.map((total) => total / 2) };
      row(GET2, `${label}: 2 readers = ${scaling.toFixed(2)}x 1 reader (bar: per reader)`, 'info', perReader, { scaling });
    }

    // 3. set, one process.
    if (haveShmkit) row(SET, 'shmkit Namespace set', 'shmkit', await shm('set'));
    row(SET, 'lmdb-js putSync (noSync: true, no fsync, as in memory)', 'peer', await lmdb('set'), { lmdbOptions: { noSync: true } });
    const peerSets = [];
    if (redis) {
      peerSets.push(['Redis SET + JSON.stringify (ioredis, loopback)', await red('redis', 'set')]);
      peerSets.push(['Redis SET + JSON.stringify, pipelines of 100', await red('redis-pipeline', 'set')]);
    }
    peerSets.push(['process.send cache set (Map in primary, json)', await ipc('set')]);
    for (const [name, result] of peerSets) row(SET, name, 'peer', result);

    // 4. the shmkit cache (maxEntries 10,000, so 1,000 keys never evict); the peers are the
    // Redis and process.send rows measured above, repeated here for the ratios.
    if (haveShmkit) {
      row(CACHE_GET, 'shmkit cache get (maxEntries 10,000)', 'shmkit', await shm('cache-get'));
      for (const [name, result] of peerGets) row(CACHE_GET, `${name} [as above]`, 'peer', result, { repeated: true });
      row(CACHE_SET, 'shmkit cache set (maxEntries 10,000)', 'shmkit', await shm('cache-set'));
      for (const [name, result] of peerSets) row(CACHE_SET, `${name} [as above]`, 'peer', result, { repeated: true });
    }
    return rows;
  } finally {
    await Promise.allSettled(clients.map((client) => client.stop()));
    ns?.close();
    if (haveShmkit) Namespace.destroy(nsName);
    forgetNamespace();
    await db?.close();
    fs.rmSync(lmdbDirectory, { recursive: true, force: true });
    forgetDirectory();
    await redis?.stop();
  }
}
