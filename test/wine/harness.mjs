// The Wine suite's small harness: test() registers, uniqueName() makes names no other test
// or run uses, startChild() forks a fixture on this node.exe. run.mjs runs what registered.
// (vitest is not used under Wine: its worker pools are heavy and fragile on Wine's pipes.)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const registered = [];
const cleanups = [];

/** Registers a test; `timeoutMs` bounds it as a whole (every wait inside has its own, too). */
export function test(name, fn, timeoutMs = 60_000) {
  registered.push({ name, fn, timeoutMs });
}

// All Wine processes of one prefix share Local\ names: the run id keeps runs apart.
const RUN = process.env.SHMKIT_WINE_RUN ?? `w${Date.now().toString(36)}`;
let counter = 0;
/** <run>-<tag>-<pid>-<n>: unique per test, per process and per run. */
export function uniqueName(tag) {
  return `${RUN}-${tag}-${process.pid}-${++counter}`;
}

/** A scratch folder removed after the test. */
export function scratchDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-wine-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Calls `fn` after the current test, whatever its outcome. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export async function runCleanups() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // best effort: a test's own failure is what gets reported
    }
  }
}

/** `fixture` is a path under test/ ('fixtures/mutex-holder.mjs', 'wine/fixtures/x.mjs'). */
export function startChild(fixture, args = []) {
  const child = fork(path.join(HERE, '..', fixture), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiting = [];
  child.on('message', (message) => {
    const next = waiting.shift();
    if (next) next(message);
    else inbox.push(message);
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  const handle = {
    process: child,
    pid: child.pid,
    message(timeoutMs = 20_000) {
      if (inbox.length > 0) return Promise.resolve(inbox.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${fixture}: no message within ${timeoutMs} ms`)), timeoutMs);
        const onClose = (code) => reject(new Error(`${fixture} exited (${code}) before sending a message`));
        child.once('close', onClose);
        waiting.push((value) => {
          clearTimeout(timer);
          child.off('close', onClose);
          resolve(value);
        });
      });
    },
    async exit(timeoutMs = 30_000) {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => {
          child.kill();
          reject(new Error(`${fixture} did not exit within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    /** On Windows every signal is TerminateProcess: the SIGKILL equivalent. */
    kill() {
      child.kill();
    },
  };
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return handle;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms until true, or throws after `timeoutMs`. */
export async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Closes `resource` after the test (Node 22 has no `using` in plain JS); returns it. */
export function closeAfter(resource) {
  cleanups.push(() => resource.close());
  return resource;
}

/** Lets unreachable ArrayBuffers over closed sections go, so their views are unmapped. */
export async function collectGarbage() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await sleep(20); // FinalizationRegistry callbacks run after the collection, on a later task
  }
}
