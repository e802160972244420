/**
 * A real redis-server for the bridge tests: on loopback, on a free port, in a temp directory
 * with AOF on (appendfsync always: an acknowledged write survives even a SIGKILL of the
 * server), stopped and removed after. The same port and directory survive stop()/start(), so
 * a test can take the server down mid-stream and bring it back with its data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

function onPath(): string | undefined {
  for (const directory of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(directory || '.', 'redis-server');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return CANDIDATES.find((file) => fs.existsSync(file));
}

/** The redis-server binary, or undefined (the bridge tests then skip, saying why). */
export const REDIS_SERVER: string | undefined = onPath();
/** Why the bridge tests skip, for their titles. */
export const SKIP_REASON = REDIS_SERVER ? '' : ' (SKIPPED: redis-server is not installed; .ci/run installs it with apt-get)';

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly directory: string;
  /** (Re)starts the server on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it: SIGTERM (a clean shutdown) or SIGKILL; resolves once it exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs (slow Redis) without closing connections. */
  pause(): void;
  resume(): void;
  /** A plain client for the test's own checks (closed by remove()). */
  client(): Redis;
  /** Stops the server and removes its directory. */
  remove(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed');
  const port = await freePort();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-test-redis-'));
  let server: ChildProcess | undefined;
  let output = '';
  const clients: Redis[] = [];
  const running = (): boolean => server !== undefined && server.exitCode === null && server.signalCode === null;

  const start = async (): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', directory, '--appendonly', 'yes', '--appendfsync', 'always'];
    args.push('--save', '', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning');
    const child = spawn(REDIS_SERVER!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-2000)));
    child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-2000)));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited: ${output}`);
      const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch (error) {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    }
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const child = server;
    if (!child || !running()) return;
    if (child.signalCode === null) child.kill('SIGCONT'); // a paused server cannot shut down
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    directory,
    start,
    stop,
    pause: () => server?.kill('SIGSTOP'),
    resume: () => server?.kill('SIGCONT'),
    client() {
      const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 50, 500) });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    async remove() {
      for (const client of clients) client.disconnect();
      await stop('SIGKILL');
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
