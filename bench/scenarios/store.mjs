// Store and cache: get and set of 1,000 keys holding ~100-byte objects (storeValue), in the
// shmkit Namespace and its cache, next to lmdb-js, Redis (ioredis over loopback, one command
// at a time and pipelined) and a Map in the primary process asked over process.send. Every
// measurement runs in forked store-client processes lined up on the Barrier; the primary only
// holds the stores open (and answers the process.send requests).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
// A namespace import: a named import of an export dist does not have yet would not link.
import * as shmkit from '../../dist/index.js';
import { createLineup, lineUp, startChild } from '../lib/processes.mjs';
import { storeValue } from '../lib/samples.mjs';

const { Namespace } = shmkit;
const KEYS = 1000;
const NAMESPACE_SIZE = 64 * 1024 * 1024;
const ID_SUM = (KEYS * (KEYS - 1)) / 2; // what one get pass adds to a client's sink
const LOOPBACK = '127.0.0.1';

const GET = 'store get, 1 process';
const GET2 = 'store get, 2 reader processes';
const SET = 'store set, 1 process';
const CACHE_GET = 'cache get, 1 process';
const CACHE_SET = 'cache set, 1 process';

const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const values = keys.map((_, i) => storeValue(i));

/**
 * Runs `processes` store-client processes of one backend and op, lined up with this process
 * on a Barrier, and sums their rates. `map` answers the process.send cache requests.
 */
async function measure({ backend, op, target = '-', processes = 1, durationMs, warmupMs, map }) {
  const lineupName = `bench-store-lineup-${process.pid}`;
  const lineup = createLineup(lineupName, processes + 1, 0);
  const clients = [];
  try {
    for (let p = 0; p < processes; p++) {
      clients.push(startClient([lineupName, backend, op, durationMs, warmupMs, target], map));
    }
    await Promise.all(clients.map((client) => client.ready));
    lineUp(lineup);
    const results = await Promise.all(clients.map((client) => client.result));
    await Promise.all(clients.map((client) => client.exit()));
    for (const result of results) {
      const expected = op.endsWith('get') ? (result.ops / KEYS) * ID_SUM : 0;
      if (result.sink !== expected) throw new Error(`${backend} ${op}: read back ${result.sink}, expected ${expected}`);
    }
    const rates = results.map((result) => result.ops / (result.elapsedMs / 1000));
    return { opsPerSec: rates.reduce((a, b) => a + b, 0), perProcess: rates, processes };
  } finally {
    for (const { child } of clients) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.allSettled(clients.map((client) => client.exit()));
    lineup.close();
    lineup.unlink();
  }
}

function startClient(args, map) {
  const handle = startChild('store-client.mjs', args, { collect: false });
  const { child } = handle;
  let settleReady;
  let settleResult;
  const ready = new Promise((resolve, reject) => (settleReady = { resolve, reject }));
  const result = new Promise((resolve, reject) => (settleResult = { resolve, reject }));
  for (const promise of [ready, result]) promise.catch(() => {}); // awaited later, or not at all
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  child.on('message', (message) => {
    if (message.type === 'get') child.send({ type: 'reply', value: map.get(message.key) });
    else if (message.type === 'set') {
      map.set(message.key, message.value);
      child.send({ type: 'reply', value: true });
    } else if (message.type === 'ready') settleReady.resolve();
    else if (message.type === 'result') settleResult.resolve(message);
  });
  child.once('close', (code, signal) => { // 'close': a last message can arrive after 'exit'
    clearTimeout(timer);
    const error = new Error(`store-client ${args[1]} ${args[2]} exited (${signal ?? code}) before reporting`);
    settleReady.reject(error);
    settleResult.reject(error);
  });
  return { child, ready, result, exit: () => handle.exit() };
}

// --- Redis: found on PATH, or apt-get installed (root, not CI), run on loopback, stopped after.

function onPath(command) {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(directory || '.', command);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

const lastLine = (text) => (text ?? '').trim().split('\n').pop() || undefined;
let aptTried = false;

/** { binary, how } or { reason } */
function obtainRedis() {
  const found = onPath('redis-server');
  if (found) return { binary: found, how: `on PATH (${found})` };
  if (process.getuid?.() !== 0) return { reason: 'redis-server not on PATH (and not root, so no apt-get install)' };
  if (process.env.CI) return { reason: 'redis-server not on PATH (CI is set, so no apt-get install)' };
  if (!onPath('apt-get')) return { reason: 'redis-server not on PATH, and no apt-get' };
  if (aptTried) return { reason: 'redis-server not on PATH (apt-get install already failed in this run)' };
  aptTried = true;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    console.error(`  store: apt-get ${args.join(' ')} (up to 120 s)...`);
    const run = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (run.error) return run.error.code === 'ETIMEDOUT' ? 'timed out after 120 s' : run.error.message;
    if (run.status !== 0) return lastLine(run.stderr) ?? `exit ${run.status ?? run.signal}`;
    return null;
  };
  const updateFailed = apt(['update']); // a failed update may still leave usable package lists
  const installFailed = apt(['install', '-y', 'redis-server']);
  const installed = onPath('redis-server');
  if (installFailed || !installed) {
    const why = installFailed ?? 'installed, but redis-server is not on PATH';
    return { reason: `apt-get install -y redis-server: ${why}${updateFailed ? `; apt-get update: ${updateFailed}` : ''}` };
  }
  return { binary: installed, how: `apt-get install -y redis-server (${installed})` };
}

async function freePort() {
  const server = net.createServer();
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts redis-server on 127.0.0.1:<free port>, no persistence; returns { port, client, stop }. */
async function startRedis(binary) {
  const { default: Redis } = await import('ioredis');
  const port = await freePort();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-bench-redis-'));
  const args = ['--bind', LOOPBACK, '--port', String(port), '--save', '', '--appendonly', 'no'];
  args.push('--dir', directory, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning');
  const server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk) => (output = (output + chunk).slice(-2000));
  server.stdout.on('data', collect);
  server.stderr.on('data', collect);
  const exited = once(server, 'exit').catch(() => {});
  const spawned = once(server, 'spawn').then(
    () => null,
    (error) => error,
  );
  const killOnExit = () => server.kill('SIGKILL'); // if this process ends without the finally
  process.on('exit', killOnExit);
  let client = null;
  const stop = async () => {
    process.off('exit', killOnExit);
    await client?.quit().catch(() => client.disconnect());
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(directory, { recursive: true, force: true });
  };
  try {
    const spawnError = await spawned;
    if (spawnError) throw spawnError;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) throw new Error(`redis-server exited: ${lastLine(output) ?? server.exitCode}`);
      const attempt = new Redis({ host: LOOPBACK, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      attempt.on('error', () => {});
      try {
        await attempt.connect();
        await attempt.ping();
        client = attempt;
        break;
      } catch (error) {
        attempt.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${LOOPBACK}:${port}: ${error.message}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const version = (await client.info('server')).match(/redis_version:(\S+)/)?.[1];
    return { port, client, version, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// --- The scenario.

export default async function run({ quick }) {
  const durationMs = quick ? 300 : 1000;
  const warmupMs = quick ? 100 : 300;
  const rows = [];
  const row = (group, name, kind, result, extra = {}) => rows.push({ group, name, kind, ...result, ...extra });
  const haveShmkit = typeof Namespace === 'function';
  const nsName = `bench-store-${process.pid}`;
  const lmdbDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-bench-lmdb-'));
  const map = new Map(keys.map((key, i) => [key, values[i]]));
  let ns = null;
  let db = null;
  let redis = null;
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

    const common = { durationMs, warmupMs, map };
    const shm = (op, processes = 1) => measure({ backend: 'shmkit', op, target: nsName, processes, ...common });
    const lmdb = (op, processes = 1, backend = 'lmdb') => measure({ backend, op, target: lmdbDirectory, processes, ...common });
    const red = (backend, op) => measure({ backend, op, target: redis.port, ...common });
    const ipc = (op) => measure({ backend: 'ipc', op, ...common });

    // 1. get, one process.
    const shmGet = haveShmkit ? await shm('get') : null;
    if (shmGet) row(GET, 'shmkit Namespace get', 'shmkit', shmGet);
    else row(GET, 'shmkit Namespace not built yet', 'info', { opsPerSec: 0 });
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
      row(GET, `Redis skipped: ${redisSkipped}`, 'info', { opsPerSec: 0 });
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
      const scaling = two.opsPerSec / one.opsPerSec;
      row(GET2, `${label}: 2 readers = ${scaling.toFixed(2)}x 1 reader (bar: per reader)`, 'info', { opsPerSec: two.opsPerSec / 2, scaling });
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
    ns?.close();
    if (haveShmkit) Namespace.destroy(nsName);
    await db?.close();
    fs.rmSync(lmdbDirectory, { recursive: true, force: true });
    await redis?.stop();
  }
}
