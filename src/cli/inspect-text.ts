/**
 * The text form of an inspect report: the section header, then per kind what it holds, one
 * short block per named object, every line within the terminal's width.
 */
import { attachedText } from './section-rows.js';
import { formatBytes, formatDate, truncateEnd, truncateMiddle, yesNo } from './format.js';
import type { InspectReport } from './inspect-report.js';
import { describeOwner } from './liveness.js';
import type { CacheReport } from './read-cache.js';
import type { NamespaceReport, ObjectReport, StructuresReport } from './read-namespace.js';
import type { BroadcastReport, RingReport } from './read-ring.js';
import type { BarrierReport, EventReport, MutexReport, SemaphoreReport } from './read-sync.js';

export function renderInspect(report: InspectReport, width: number): string {
  const s = report.section;
  const lines: string[] = [];
  lines.push(`section ${truncateMiddle(s.name, width - 24)} (${s.kind})`);
  lines.push(`  size       ${formatBytes(s.size)} usable, ${s.totalSize} bytes with the header; format ${s.formatVersion}`);
  if (s.committed < s.totalSize) lines.push(`  committed  ${formatBytes(s.committed)} with the header (grows as it fills, up to the size)`);
  if (s.file) lines.push(`  file       ${truncateMiddle(s.file, width - 13)}`);
  lines.push(`  created    ${formatDate(s.createdAt)} by pid ${s.creator.pid} (${s.creator.alive ? 'alive' : 'dead'})`);
  lines.push(`  attached   ${attachedText(s)}${s.attached.some((a) => !a.alive) ? '   († died without detaching)' : ''}`);
  lines.push(`  state      ${s.alive ? 'live' : s.stale ? "stale (every attached process died: 'shmkit gc' removes it)" : 'idle'}`);
  if (report.error) lines.push('', `  cannot read what it holds: ${report.error}`);
  if (report.namespace) lines.push('', ...namespaceLines(report.namespace, width));
  if (report.channel) lines.push('', `${s.kind} (${report.channel.ringKind}, ${formatBytes(report.channel.capacity)})`, ...ringLines(report.channel, '  '));
  if (report.broadcast) lines.push('', `broadcast (${formatBytes(report.broadcast.capacity)})`, ...broadcastLines(report.broadcast, '  '));
  return lines.map((line) => truncateEnd(line, width)).join('\n') + '\n';
}

function namespaceLines(ns: NamespaceReport, width: number): string[] {
  const heap = ns.heap;
  const lines = [
    'namespace',
    `  lock       ${mutexText(ns.lock)}`,
    `  writes     ${ns.counters.writes} (rollbacks ${ns.counters.rollbacks}, recoveries ${ns.counters.recoveries})`,
    `  variables  ${ns.variables.count} (${formatBytes(ns.variables.bytes)})`,
    `  heap       used ${formatBytes(heap.used)} of ${formatBytes(heap.size)}, free ${formatBytes(heap.free)} in ${heap.freeBlocks} block${heap.freeBlocks === 1 ? '' : 's'}`,
    `             largest free ${formatBytes(heap.largestFree)}, fragmentation ${Math.round(heap.fragmentation * 100)}%`,
  ];
  if (ns.note) lines.push(`  note       ${ns.note}`);
  lines.push('', ns.objects.length === 0 ? 'objects: none' : `objects (${ns.objects.length})`);
  const nameWidth = Math.min(Math.max(0, ...ns.objects.map((o) => o.name.length)), width - 40);
  for (const object of ns.objects) lines.push(...objectLines(object, nameWidth));
  return lines;
}

function objectLines(object: ObjectReport, nameWidth: number): string[] {
  const details = object.details;
  let title = `  ${truncateMiddle(object.name, nameWidth).padEnd(nameWidth)}  ${object.kind}`;
  if (object.error || details === null) return [title, `    cannot read it: ${object.error ?? 'unknown'}`];
  switch (object.kind) {
    case 'mutex':
      return [title, `    ${mutexText(details as MutexReport)}`];
    case 'semaphore': {
      const semaphore = details as SemaphoreReport;
      return [title, `    count ${semaphore.count}, waiters ${semaphore.waiters}`];
    }
    case 'event': {
      const event = details as EventReport;
      return [title, `    ${event.state} (${event.manualReset ? 'manual' : 'auto'} reset), sets ${event.generation}, waiters ${event.waiters}`];
    }
    case 'barrier':
      return [title, ...barrierLines(details as BarrierReport)];
    case 'channel':
    case 'mailbox': {
      const ring = details as RingReport;
      title += ` (${ring.ringKind}, ${formatBytes(ring.capacity)})`;
      return [title, ...ringLines(ring, '    ')];
    }
    case 'broadcast':
      return [`${title} (${formatBytes((details as BroadcastReport).capacity)})`, ...broadcastLines(details as BroadcastReport, '    ')];
    case 'cache':
      return [title, ...cacheLines(details as CacheReport)];
    case 'structures': {
      const structures = details as StructuresReport;
      return [title, `    ${structures.structures} record structures shared by the codec (${formatBytes(structures.bytes)})`];
    }
  }
}

function mutexText(mutex: MutexReport): string {
  const state = mutex.owner ? `held by ${describeOwner(mutex.owner)}` : 'free';
  return `${state}${mutex.waiters ? ', waiters parked' : ''}, recoveries ${mutex.recoveries}`;
}

function ringLines(ring: RingReport, indent: string): string[] {
  const lines = [
    `head ${ring.head}  tail ${ring.tail}  used ${formatBytes(ring.used)} of ${formatBytes(ring.capacity)}  messages ${ring.messages}` +
      (ring.heapMessages > 0 ? ` (${ring.heapMessages} in the heap)` : ''),
    `parked: consumers ${ring.parked.consumers}, producers ${ring.parked.producers}   ended ${yesNo(ring.ended)}`,
  ];
  if (ring.ringKind !== 'spsc') lines.push(`claims pending ${ring.claims.pending} (${ring.claims.dead} by dead producers, to unblock)`);
  const who: string[] = [];
  if (ring.owner) who.push(`owner ${describeOwner(ring.owner)}`);
  if (ring.ringKind !== 'mpmc') who.push(`consumer ${describeOwner(ring.consumer)}`);
  if (ring.ringKind === 'spsc') who.push(`producer ${describeOwner(ring.producer)}`);
  if (who.length > 0) lines.push(who.join('   '));
  if (ring.producerLock) lines.push(`producer lock ${mutexText(ring.producerLock)}`);
  if (ring.consumerLock) lines.push(`consumer lock ${mutexText(ring.consumerLock)}`);
  const senders = ring.senders.holders.map(describeOwner).join(', ');
  if (ring.senders.registered) lines.push(`senders ${senders || 'none left'}${ring.senders.untracked ? ' (and more than the table tracks)' : ''}`);
  if (ring.note) lines.push(`note: ${ring.note}`);
  return lines.map((line) => indent + line);
}

function broadcastLines(broadcast: BroadcastReport, indent: string): string[] {
  return [
    `${indent}published ${broadcast.published}  tail ${broadcast.tail}  readers parked ${broadcast.readersParked}  ended ${yesNo(broadcast.ended)}`,
    `${indent}writer ${describeOwner(broadcast.writer)}`,
  ];
}

function barrierLines(barrier: BarrierReport): string[] {
  const dead = barrier.registered.filter((party) => !party.alive).length;
  return [
    `    parties ${barrier.parties}, arrived ${barrier.arrived}, generation ${barrier.generation}, broken ${yesNo(barrier.broken)}, waiters ${barrier.waiters}`,
    `    registered ${barrier.registered.length}${dead > 0 ? ` (${dead} dead)` : ''}`,
  ];
}

function cacheLines(cache: CacheReport): string[] {
  const limit = (value: number, text: string): string => (value === 0 ? 'none' : text);
  return [
    `    entries ${cache.entries} (${formatBytes(cache.bytes)})  hits ${cache.hits}  misses ${cache.misses}`,
    `    evictions ${cache.evictions}  expirations ${cache.expirations}`,
    `    limits: entries ${limit(cache.maxEntries, String(cache.maxEntries))}, bytes ${limit(cache.maxBytes, formatBytes(cache.maxBytes))}, ttl ${limit(cache.ttl, `${cache.ttl} ms`)}`,
  ];
}
