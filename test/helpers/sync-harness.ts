/**
 * Runs a sync scenario with several participants on one backend: worker threads sharing a
 * SharedArrayBuffer, or forked processes sharing a section. Everything is bounded in time.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Barrier, Event, Section, Semaphore } from '../../src/index.js';
// @ts-expect-error plain .mjs fixture without types
import { SYNC_MEMORY_SIZE, SYNC_OFFSETS } from '../fixtures/sync-offsets.mjs';
import { MUTEX_RECOVERIES_OFFSET } from '../../src/layout/sync.js';
import { startChild } from './child.js';
import { uniqueName } from './names.js';

export type Backend = 'threads' | 'processes';
export const BACKENDS: Backend[] = ['threads', 'processes'];

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sync-participant.mjs');

export interface Participant {
  scenario: string;
  params: Record<string, unknown>;
}

interface Outcome {
  ok: boolean;
  result?: Record<string, number>;
  error?: string;
}

export interface ScenarioRun {
  results: Array<Record<string, number>>;
  memory: ArrayBuffer | SharedArrayBuffer;
  close(): void;
}

function initialize(buffer: ArrayBuffer | SharedArrayBuffer, parties: number): void {
  Semaphore.initialize(buffer, SYNC_OFFSETS.semaphore, 0);
  Event.initialize(buffer, SYNC_OFFSETS.ping, { manualReset: false });
  Event.initialize(buffer, SYNC_OFFSETS.pong, { manualReset: false });
  Barrier.initialize(buffer, SYNC_OFFSETS.barrier, Math.max(1, parties));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

export async function runScenario(
  backend: Backend,
  participants: Participant[],
  options: { parties?: number; timeoutMs?: number } = {},
): Promise<ScenarioRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const parties = options.parties ?? participants.length;
  if (backend === 'threads') {
    const sab = new SharedArrayBuffer(SYNC_MEMORY_SIZE);
    initialize(sab, parties);
    const workers = participants.map(
      (participant) => new Worker(FIXTURE, { workerData: { backend, sab, ...participant } }),
    );
    try {
      const messages = workers.map((worker) => {
        const queue: unknown[] = [];
        const waiting: Array<(value: unknown) => void> = [];
        worker.on('message', (message) => (waiting.length ? waiting.shift()!(message) : queue.push(message)));
        worker.on('error', (error) => (waiting.length ? waiting.shift()!({ ok: false, error: String(error) }) : queue.push({ ok: false, error: String(error) })));
        return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve)));
      });
      await withTimeout(Promise.all(messages.map((next) => next())), timeoutMs, 'workers starting');
      for (const worker of workers) worker.postMessage('go');
      const outcomes = (await withTimeout(Promise.all(messages.map((next) => next())), timeoutMs, 'scenario')) as Outcome[];
      return finish(outcomes, sab, () => undefined);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  }
  const name = uniqueName('sync');
  const section = Section.create(name, { size: SYNC_MEMORY_SIZE });
  try {
    initialize(section.buffer, parties);
    const children = participants.map((participant) =>
      startChild('sync-participant.mjs', [JSON.stringify({ backend, name, ...participant })]),
    );
    try {
      await Promise.all(children.map((child) => child.message(timeoutMs)));
      for (const child of children) child.process.send('go');
      const outcomes = await Promise.all(children.map((child) => child.message<Outcome>(timeoutMs)));
      await Promise.all(children.map((child) => child.exit(timeoutMs)));
      return finish(outcomes, section.buffer, () => section.close());
    } catch (error) {
      for (const child of children) child.kill('SIGKILL');
      throw error;
    }
  } catch (error) {
    section.close();
    throw error;
  }
}

function finish(outcomes: Outcome[], memory: ArrayBuffer | SharedArrayBuffer, close: () => void): ScenarioRun {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  if (failed.length > 0) {
    close();
    throw new Error(`participants failed: ${failed.map((outcome) => outcome.error).join('; ')}`);
  }
  // Nobody died in these scenarios: a lock recovered from a "dead" owner would be a false
  // liveness answer, which only surfaces as a number.
  const recoveries = new Int32Array(memory, SYNC_OFFSETS.mutex + MUTEX_RECOVERIES_OFFSET, 1)[0];
  if (recoveries !== 0) {
    close();
    throw new Error(`the mutex was recovered ${recoveries} time(s) though no participant died`);
  }
  return { results: outcomes.map((outcome) => outcome.result!), memory, close };
}

export { SYNC_OFFSETS };
