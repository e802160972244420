/**
 * The counters `shmkit watch` follows, taken from an inspect report: monotonic counters
 * (writes, bytes through a ring, cache hits...) get a rate per second between two samples;
 * gauges (used bytes, entries, parked threads) are shown as they are.
 */
import type { InspectReport } from './inspect-report.js';
import type { CacheReport } from './read-cache.js';
import type { ObjectDetails } from './read-namespace.js';
import { poolCounters, type PoolReport } from './read-pool.js';
import type { BroadcastReport, RingReport } from './read-ring.js';
import type { BarrierReport, EventReport, MutexReport, SemaphoreReport } from './read-sync.js';

export interface Counter {
  /** The named object, or '(section)' / '(namespace)' for the section's own figures. */
  object: string;
  kind: string;
  counter: string;
  value: number;
  /** Only ever grows (32-bit counters wrap): it has a rate. */
  monotonic: boolean;
  /** Bytes, for display. */
  bytes: boolean;
}

export interface CounterWithRate extends Counter {
  /** Per second since the previous sample; null for gauges and on the first sample. */
  rate: number | null;
}

type Add = (counter: string, value: number, monotonic?: boolean, bytes?: boolean) => void;

export function countersOf(report: InspectReport): Counter[] {
  const counters: Counter[] = [];
  const adder = (object: string, kind: string): Add => (counter, value, monotonic = false, bytes = false) =>
    counters.push({ object, kind, counter, value, monotonic, bytes });
  const section = adder('(section)', report.section.kind);
  section('attached', report.section.attached.filter((a) => a.alive).length);
  const ns = report.namespace;
  if (ns) {
    const add = adder('(namespace)', 'namespace');
    add('writes', ns.counters.writes, true);
    add('rollbacks', ns.counters.rollbacks, true);
    add('recoveries', ns.counters.recoveries, true);
    add('variables', ns.variables.count);
    add('heap used', ns.heap.used, false, true);
    add('heap free', ns.heap.free, false, true);
    for (const object of ns.objects) {
      if (object.details) objectCounters(object.kind, object.details, adder(object.name, object.kind));
    }
  }
  if (report.channel) ringCounters(report.channel, adder('(section)', report.section.kind));
  if (report.broadcast) broadcastCounters(report.broadcast, adder('(section)', 'broadcast'));
  return counters;
}

function objectCounters(kind: string, details: ObjectDetails, add: Add): void {
  switch (kind) {
    case 'channel':
    case 'mailbox':
      return ringCounters(details as RingReport, add);
    case 'broadcast':
      return broadcastCounters(details as BroadcastReport, add);
    case 'mutex': {
      const mutex = details as MutexReport;
      add('locked', mutex.locked ? 1 : 0);
      add('recoveries', mutex.recoveries, true);
      return;
    }
    case 'semaphore':
      add('count', (details as SemaphoreReport).count);
      return;
    case 'event':
      add('sets', (details as EventReport).generation, true);
      return;
    case 'barrier': {
      const barrier = details as BarrierReport;
      add('arrived', barrier.arrived);
      add('opened', barrier.generation, true);
      return;
    }
    case 'pool':
      return poolCounters(details as PoolReport, add);
    case 'cache': {
      const cache = details as CacheReport;
      add('hits', cache.hits, true);
      add('misses', cache.misses, true);
      add('evictions', cache.evictions, true);
      add('expirations', cache.expirations, true);
      add('entries', cache.entries);
      add('bytes', cache.bytes, false, true);
      return;
    }
  }
}

function ringCounters(ring: RingReport, add: Add): void {
  add('bytes in', ring.tail, true, true); // the tail position: bytes ever claimed
  add('bytes out', ring.head, true, true); // the head position: bytes ever consumed (published)
  add('used', ring.used, false, true);
  add('messages', ring.messages);
  add('parked consumers', ring.parked.consumers);
  add('parked producers', ring.parked.producers);
  if (ring.ringKind !== 'spsc') add('dead claims', ring.claims.dead);
}

function broadcastCounters(broadcast: BroadcastReport, add: Add): void {
  add('published', broadcast.published, true);
  add('readers parked', broadcast.readersParked);
}

/** Rates per second between two samples taken `elapsedMs` apart (32-bit counters wrap). */
export function withRates(current: Counter[], previous: Counter[] | undefined, elapsedMs: number): CounterWithRate[] {
  const before = new Map(previous?.map((c) => [`${c.object}\0${c.counter}`, c.value]));
  return current.map((c) => {
    const last = before.get(`${c.object}\0${c.counter}`);
    const rate = c.monotonic && last !== undefined && elapsedMs > 0 ? (((c.value - last) >>> 0) * 1000) / elapsedMs : null;
    return { ...c, rate };
  });
}
