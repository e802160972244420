/**
 * Forked children for cross-process tests. Fixtures are plain .mjs files that import the
 * build output (dist/), so they run on Node 20 without a TypeScript loader.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface Child {
  process: ChildProcess;
  /** The next message the child sends, or a rejection after `timeoutMs`. */
  message<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Resolves with the exit code (or signal) within `timeoutMs`, else kills and rejects. */
  exit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export function startChild(fixture: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Child {
  const child = fork(path.join(FIXTURES, fixture), args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: unknown[] = [];
  const waiting: Array<(value: unknown) => void> = [];
  child.on('message', (message) => {
    const next = waiting.shift();
    if (next) next(message);
    else inbox.push(message);
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    process: child,
    message<T>(timeoutMs = 20_000): Promise<T> {
      if (inbox.length > 0) return Promise.resolve(inbox.shift() as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${fixture}: no message within ${timeoutMs} ms`)), timeoutMs);
        // 'close', not 'exit': messages sent just before exiting are delivered before 'close'.
        const onExit = (code: number | null) => reject(new Error(`${fixture} exited (${code}) before sending a message`));
        child.once('close', onExit);
        waiting.push((value) => {
          clearTimeout(timer);
          child.off('close', onExit);
          resolve(value as T);
        });
      });
    },
    async exit(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${fixture} did not exit within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      child.kill(signal);
    },
  };
}
