// Starting benchmark processes, and lining them up behind shmkit's own Barrier so that every
// process starts a round at the same moment. Every child and every name made here is
// registered with cleanup.mjs, so a run stopped by an error or Ctrl-C leaves nothing behind.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Barrier, Channel, Section } from '../../dist/index.js';
import { atExit, killAtExit } from './cleanup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHILDREN = path.join(HERE, '..', 'children');

/** A section with a lineup barrier at offset 0 and `size` free bytes after LINEUP_BYTES. */
export const LINEUP_BYTES = 4096;

let serial = 0;
/** A name unique to this run and call: bench-<tag>-<pid>-<n>. */
export function benchName(tag) {
  return `bench-${tag}-${process.pid}-${serial++}`;
}

const unlinkAtExit = new Map(); // name -> the step that unlinks it at exit

/**
 * Unlinks `name` at exit if it is still there. Forced: at exit the children using it have
 * just been sent SIGKILL and may not be gone yet (a channel is a section, so this covers both).
 */
function track(name) {
  unlinkAtExit.set(name, atExit(() => Section.unlink(name, { force: true })));
}

function untrack(name) {
  unlinkAtExit.get(name)?.();
  unlinkAtExit.delete(name);
}

/** Creates a section with a barrier for `parties`; unlinked at exit if still there. */
export function createLineup(name, parties, size) {
  Section.unlink(name);
  const section = Section.create(name, { size: LINEUP_BYTES + size });
  track(name);
  Barrier.initialize(section.buffer, 0, parties);
  return section;
}

/** Closes and unlinks a section made by createLineup. */
export function removeLineup(section) {
  section.close();
  section.unlink();
  untrack(section.name);
}

/** This process's place at a lineup, kept for many rounds: `wait()` returns when all are there. */
export function joinLineup(section, timeout = 60_000) {
  const barrier = new Barrier(section.buffer, 0, section.waiter);
  return {
    wait: () => barrier.wait({ timeout }),
    close: () => barrier.close(),
  };
}

/** One-shot lineup: wait once, then leave. */
export function lineUp(section, timeout = 60_000) {
  const place = joinLineup(section, timeout);
  place.wait();
  place.close();
}

/** Channel.create after removing a stale one of the name; unlinked at exit if still there. */
export function createChannel(name, options) {
  Channel.unlink(name);
  const channel = Channel.create(name, options);
  track(name);
  return channel;
}

/** Closes and unlinks a channel made by createChannel. */
export function removeChannel(channel, name) {
  channel.close();
  Channel.unlink(name);
  untrack(name);
}

/**
 * Forks a child script. Its messages are queued from the start (a child may finish before
 * anyone asks for its result); `collect: false` turns that off for children whose messages
 * the caller consumes itself (the IPC peers), so the queue does not hold them all.
 */
export function startChild(script, args, { collect = true, ...options } = {}) {
  const child = fork(path.join(CHILDREN, script), args.map(String), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  killAtExit(child);
  const exited = once(child, 'exit');
  exited.catch(() => {});
  const inbox = [];
  const waiting = [];
  if (collect) child.on('message', (message) => (waiting.length > 0 ? waiting.shift()(message) : inbox.push(message)));
  return {
    child,
    /** The child's next message; rejects (and kills it) if it exits first or takes too long. */
    result(timeoutMs = 300_000) {
      if (inbox.length > 0) return Promise.resolve(inbox.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${script} sent no result within ${timeoutMs} ms`));
        }, timeoutMs);
        const onClose = (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (${code ?? signal}) without a result`));
        };
        child.once('close', onClose); // not 'exit': a last message can arrive after 'exit'
        waiting.push((message) => {
          clearTimeout(timer);
          child.off('close', onClose);
          resolve(message);
        });
      });
    },
    /** Waits for the child to exit; kills it if it takes longer than `timeoutMs`. */
    async exit(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Wait options for the round-trip modes: 'spin' never parks; 'default' is shmkit's own
 * strategy (brief spin, then park); 'park' and 'async-park' park at once (spin: 0), showing
 * the OS wake-up path alone; 'async' is the default async strategy.
 */
export function waitOptions(mode) {
  const timeout = 60_000;
  if (mode === 'spin') return { spin: 2 ** 30, timeout };
  if (mode === 'park' || mode === 'async-park') return { spin: 0, timeout };
  return { timeout };
}

/**
 * Removes the sections an earlier run left behind when it was killed with SIGKILL (no exit
 * handler runs then): names made by benchName whose run's process is gone and that no live
 * process has attached. Returns how many it removed.
 */
export function removeStaleBenchSections() {
  let removed = 0;
  for (const info of Section.list()) {
    const run = /^bench-.+-(\d+)-\d+$/.exec(info.name);
    if (!run || info.alive || pidAlive(Number(run[1]))) continue;
    if (Section.unlink(info.name, { force: true })) removed++;
  }
  return removed;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
