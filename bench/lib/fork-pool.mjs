// The hand-written pool the pool benchmark holds shmkit's process mode against: N children
// forked once, each task a process.send({ id, name, task }) to the least busy child, answered by
// a process.send({ id, result }); as many tasks in flight as the caller likes (pipelined). What a
// Node user writes in an afternoon instead of taking a pool library.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { killAtExit } from './cleanup.mjs';

export class ForkPool {
  /** Forks `workers` children of `script` (children/pool-fork.mjs); await ready() before run(). */
  constructor(script, workers) {
    this.pending = new Map(); // id -> { resolve, reject, worker }
    this.nextId = 0;
    this.workers = Array.from({ length: workers }, () => this.#start(script));
  }

  #start(script) {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    killAtExit(child);
    const ready = new Promise((resolve, reject) => {
      child.once('message', resolve); // 'ready'
      child.once('exit', (code, signal) => reject(new Error(`fork pool child exited (${code ?? signal}) before it was ready`)));
    });
    const worker = { child, inFlight: 0, ready, exited: once(child, 'exit') };
    worker.exited.catch(() => {});
    worker.ready.catch(() => {});
    child.on('message', (message) => {
      const task = this.pending.get(message.id);
      if (task === undefined) return; // 'ready'
      this.pending.delete(message.id);
      worker.inFlight--;
      if (message.error === undefined) task.resolve(message.result);
      else task.reject(new Error(message.error));
    });
    child.once('exit', (code, signal) => {
      for (const [id, task] of this.pending) {
        if (task.worker !== worker) continue;
        this.pending.delete(id);
        task.reject(new Error(`fork pool child exited (${code ?? signal}) with the task`));
      }
    });
    return worker;
  }

  /** Resolves when every child has said it is ready; rejects if one exits or `timeoutMs` passes. */
  async ready(timeoutMs = 30_000) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fork pool children not ready within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(this.workers.map((worker) => worker.ready)), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends the task to the child with the fewest tasks in flight. */
  run(name, task) {
    let chosen = this.workers[0];
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i].inFlight < chosen.inFlight) chosen = this.workers[i];
    const id = this.nextId++;
    chosen.inFlight++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: chosen });
      chosen.child.send({ id, name, task });
    });
  }

  /** Disconnects every child (they exit on it); SIGKILLs those still there after `graceMs`. */
  async destroy(graceMs = 2_000) {
    for (const { child } of this.workers) if (child.connected) child.disconnect();
    const timer = setTimeout(() => this.workers.forEach(({ child }) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')), graceMs);
    try {
      await Promise.all(this.workers.map((worker) => worker.exited));
    } finally {
      clearTimeout(timer);
    }
  }
}
