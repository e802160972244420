/**
 * `shmkit inspect`, run as the real command against a namespace this test fills: a channel
 * with messages in it, a mutex held by a child that is then SIGKILLed, a barrier, a cache
 * with hits and misses; and a standalone channel section.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Channel, Namespace, Section } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
import { shmkit, shmkitJson, widest } from './run-cli.js';

interface Owner {
  pid: number;
  tid: number;
  threadId: number | null;
  alive: boolean;
}

interface ObjectReport {
  name: string;
  kind: string;
  offset: number;
  bytes: number;
  details: Record<string, unknown> & { owner?: Owner | null };
  error: string | null;
}

interface Report {
  section: {
    name: string;
    kind: string;
    formatVersion: number;
    size: number;
    creator: { pid: number; alive: boolean };
    attached: Array<{ pid: number; alive: boolean }>;
  };
  namespace: {
    consistent: boolean;
    lock: { locked: boolean };
    counters: { writes: number };
    heap: { size: number; used: number; free: number };
    variables: { count: number; bytes: number };
    objects: ObjectReport[];
  } | null;
  channel: Record<string, unknown> | null;
  broadcast: Record<string, unknown> | null;
  error: string | null;
}

const children: Child[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exit(10_000).catch(() => undefined);
  }
  for (const close of closers.splice(0)) close();
});

describe('shmkit inspect', () => {
  it('shows a namespace: channel positions and messages, a dead mutex owner, a barrier, cache counters', async () => {
    const name = uniqueName('cli-inspect-ns');
    const ns = Namespace.open(name, { size: 512 * 1024 });
    closers.push(() => ns.close());
    const jobs = ns.channel<{ n: number }>('jobs', { capacity: 4096 });
    for (let n = 0; n < 3; n++) jobs.send({ n });
    const barrier = ns.barrier('start', 3);
    const cache = ns.cache<string>('users', { maxEntries: 100 });
    cache.set('alice', 'a');
    cache.get('alice');
    cache.get('alice');
    cache.get('bob');
    ns.set('greeting', 'hello');
    ns.semaphore('slots', 2);

    const holder = startChild('cli-ns-mutex.mjs', [name, 'guard']);
    children.push(holder);
    await holder.message(20_000);
    const live = await shmkitJson<Report>(['inspect', name]);
    const held = live.namespace!.objects.find((o) => o.name === 'guard')!;
    expect(held.details).toMatchObject({ locked: true, owner: { pid: holder.process.pid, alive: true } });
    holder.kill('SIGKILL');
    await holder.exit(10_000);

    const report = await shmkitJson<Report>(['inspect', name]);
    expect(report.section).toMatchObject({ name, kind: 'namespace', formatVersion: 3, size: 512 * 1024, creator: { pid: process.pid, alive: true } });
    expect(report.section.attached).toContainEqual({ pid: process.pid, alive: true });
    expect(report.section.attached).toContainEqual({ pid: holder.process.pid, alive: false });
    const nsReport = report.namespace!;
    expect(nsReport.consistent).toBe(true);
    expect(nsReport.lock.locked).toBe(false);
    expect(nsReport.variables.count).toBe(1);
    expect(nsReport.heap.used + nsReport.heap.free).toBe(nsReport.heap.size);
    expect(nsReport.objects.map((o) => o.name).filter((n) => !n.startsWith('.')).sort()).toEqual(['guard', 'jobs', 'slots', 'start', 'users']);
    expect(nsReport.objects.find((o) => o.name === '.structures')?.kind).toBe('structures'); // the codec's shared record structures
    for (const object of nsReport.objects) expect(object.error).toBeNull();
    const byName = (n: string) => nsReport.objects.find((o) => o.name === n)!;

    expect(byName('guard')).toMatchObject({ kind: 'mutex', details: { locked: true, owner: { pid: holder.process.pid, alive: false } } });
    const ring = byName('jobs');
    expect(ring.kind).toBe('channel');
    expect(ring.details).toMatchObject({
      ringKind: 'mpsc',
      capacity: 4096,
      head: 0,
      messages: 3,
      ended: false,
      claims: { pending: 0, dead: 0 },
      parked: { consumers: 0, producers: 0 },
      consumer: null,
      producerLock: { locked: false },
    });
    expect(ring.details['used']).toBe(ring.details['tail']);
    expect(ring.details['used']).toBeGreaterThan(0);
    expect(byName('start')).toMatchObject({ kind: 'barrier', details: { parties: 3, arrived: 0, generation: 0, broken: false } });
    expect(byName('users')).toMatchObject({ kind: 'cache', details: { entries: 1, hits: 2, misses: 1, evictions: 0, expirations: 0, maxEntries: 100, maxBytes: 0, ttl: 0 } });
    expect(byName('slots')).toMatchObject({ kind: 'semaphore', details: { count: 2 } });

    // Once a consumer takes messages, the head moves and the consumer slot names this process.
    await jobs.receive({ timeout: 5000 });
    jobs.ring.flushConsumed();
    const after = await shmkitJson<Report>(['inspect', name]);
    const moved = after.namespace!.objects.find((o) => o.name === 'jobs')!.details;
    expect(moved['consumer']).toMatchObject({ pid: process.pid, alive: true });
    expect(moved['head']).toBeGreaterThan(0);
    expect(moved['messages']).toBe(2);
    barrier.close();

    const text = await shmkit(['inspect', name]);
    expect(text.code).toBe(0);
    expect(widest(text.stdout)).toBeLessThanOrEqual(80);
    expect(text.stdout).toContain(`held by pid ${holder.process.pid} (dead)`);
    expect(text.stdout).toMatch(/jobs\s+channel \(mpsc, 4 KiB\)/);
    expect(text.stdout).toMatch(/hits 2\s+misses 1/);
    expect(text.stdout).toMatch(/parties 3, arrived 0, generation 0, broken no/);
  });

  it('shows a standalone channel section by its kind', async () => {
    const name = uniqueName('cli-inspect-ch');
    const channel = Channel.create<string>(name, { capacity: 2048, kind: 'spsc' });
    closers.push(() => channel.close());
    channel.send('one');
    channel.send('two');
    const report = await shmkitJson<Report>(['inspect', name]);
    expect(report.section.kind).toBe('channel');
    expect(report.namespace).toBeNull();
    expect(report.channel).toMatchObject({ ringKind: 'spsc', capacity: 2048, messages: 2, producer: { pid: process.pid, alive: true }, consumer: null });
    const text = await shmkit(['inspect', name]);
    expect(text.stdout).toMatch(/^channel \(spsc, 2 KiB\)$/m);
  });

  it('inspecting changes nothing: no attachment, the same counters', async () => {
    const name = uniqueName('cli-inspect-ro');
    const ns = Namespace.open(name, { size: 256 * 1024 });
    closers.push(() => ns.close());
    ns.set('k', 1);
    const before = ns.inspect();
    await shmkitJson<Report>(['inspect', name]);
    expect(ns.inspect().counters).toEqual(before.counters);
    const [row] = Section.list().filter((info) => info.name === name);
    expect(row!.attachedPids).toEqual([process.pid]);
    expect(row!.deadPids).toEqual([]);
  });

  it('a section that does not exist is exit 1 with the error code in --json', async () => {
    const name = uniqueName('cli-inspect-missing');
    const text = await shmkit(['inspect', name]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(`shmkit: no section named '${name}' (run 'shmkit ls' to list them)\n`);
    const json = await shmkit(['inspect', name, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr).error.code).toBe('ERR_SHMKIT_SECTION_NOT_FOUND');
  });
});
