// Redis for the store scenario: redis-server found on PATH, or installed with apt-get (as root,
// without CI set), run on loopback on a free port without persistence, and stopped after,
// whatever happens (also at exit: lib/cleanup.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { atExit } from './cleanup.mjs';

export const LOOPBACK = '127.0.0.1';

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
export function obtainRedis() {
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
export async function startRedis(binary) {
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
  const forget = atExit(() => {
    server.kill('SIGKILL'); // this process ends without the finally below
    fs.rmSync(directory, { recursive: true, force: true });
  });
  let client = null;
  const stop = async () => {
    forget();
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
