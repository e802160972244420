// Starting benchmark processes and lining them up behind shmkit's own Barrier, so every
// process starts measuring at the same moment.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Barrier, Section } from '../../dist/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHILDREN = path.join(HERE, '..', 'children');

/** A section with a lineup barrier at offset 0 and `size` free bytes after LINEUP_BYTES. */
export const LINEUP_BYTES = 4096;

export function createLineup(name, parties, size) {
  Section.unlink(name);
  const section = Section.create(name, { size: LINEUP_BYTES + size });
  Barrier.initialize(section.buffer, 0, parties);
  return section;
}

export function lineUp(section, timeout = 30_000) {
  const barrier = new Barrier(section.buffer, 0, section.waiter);
  barrier.wait({ timeout });
  barrier.close();
}

/**
 * Forks a child script. Its messages are queued from the start (a child may finish before
 * anyone asks for its result); `collect: false` turns that off for children whose messages
 * the caller consumes itself (the IPC peers), so the queue does not hold them all.
 */
export function startChild(script, args, { collect = true, ...options } = {}) {
  const child = fork(path.join(CHILDREN, script), args.map(String), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  const exited = once(child, 'exit');
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
    async exit(timeoutMs = 30_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
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
