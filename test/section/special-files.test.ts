/**
 * Issue 9, item 1: something that is not a regular file at /dev/shm/shmkit.NAME (a FIFO,
 * socket or device another local user put there) must never block an open, a list() or
 * Namespace.exists: it is refused with UnsafePathError, and list() reports it.
 *
 * The calls run in a child process: on a build with the bug they block the thread for ever,
 * and the child is killed when its timeout passes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

interface Outcome {
  ok: boolean;
  value?: unknown;
  name?: string;
  code?: string;
  message?: string;
}
interface Report {
  listed: Outcome;
  exists: Outcome;
  openReadonly: Outcome;
  open: Outcome;
  openOrCreate: Outcome;
}

const made: string[] = [];
afterEach(() => {
  for (const file of made.splice(0)) fs.rmSync(file, { force: true });
});

async function probe(name: string): Promise<Report> {
  const child = startChild('probe-special.mjs', [name]);
  try {
    return await child.message<Report>(10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`opening a special file blocked: ${(error as Error).message}`);
  } finally {
    await child.exit(10_000).catch(() => undefined);
  }
}

function expectRefused(report: Report, kind: RegExp): void {
  for (const call of ['exists', 'openReadonly', 'open', 'openOrCreate'] as const) {
    expect(report[call], call).toMatchObject({ ok: false, code: 'ERR_SHMKIT_UNSAFE_PATH' });
    expect(report[call].message, call).toMatch(kind);
  }
  expect(report.listed.ok).toBe(true);
  expect(report.listed.value).toEqual([
    expect.objectContaining({ state: 'incompatible', stale: false, alive: false, error: expect.stringMatching(kind) }),
  ]);
}

describe('special files in the shm directory', () => {
  it('a FIFO (owned by another user) is refused without blocking, and list() reports it', async () => {
    const name = uniqueName('fifo');
    const file = `/dev/shm/shmkit.${name}`;
    execFileSync('mkfifo', ['-m', '0666', file]);
    made.push(file);
    if (process.getuid?.() === 0) fs.chownSync(file, 65534, 65534);
    expectRefused(await probe(name), /FIFO/);
    expect(fs.statSync(file).isFIFO()).toBe(true); // refused, not replaced
  });

  it('a Unix socket is refused and reported', async () => {
    const name = uniqueName('socket');
    const file = `/dev/shm/shmkit.${name}`;
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.listen(file, resolve).once('error', reject));
    made.push(file);
    try {
      expectRefused(await probe(name), /socket/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a device node is refused and reported', async (context) => {
    if (process.getuid?.() !== 0) {
      context.skip('making a device node (mknod) needs root');
      return;
    }
    const name = uniqueName('device');
    const file = `/dev/shm/shmkit.${name}`;
    try {
      execFileSync('mknod', ['-m', '0666', file, 'c', '1', '3']); // the same device as /dev/null
    } catch (error) {
      context.skip(`mknod is not allowed here: ${(error as Error).message.split('\n')[0]}`);
      return;
    }
    made.push(file);
    expectRefused(await probe(name), /device/);
  });
});
