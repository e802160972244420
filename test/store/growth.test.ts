/**
 * Namespaces that grow as they fill (issue 13, point 3): a namespace reserves maxSize
 * (1 GiB by default) and commits memory as it is used; every process maps the reserve once
 * and reads the committed size from the header, so growth in one process is usable by all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SIZE, InvalidArgValueError, Namespace, NamespaceFullError, Section } from '../../src/index.js';
import { HEADER_LENGTH } from '../../src/layout/section-header.js';
import { startChild } from '../helpers/child.js';
import { removeAfter, uniqueName } from '../helpers/names.js';

const MiB = 1024 * 1024;

/** Bytes tmpfs holds for the object: its allocated blocks. */
function allocated(name: string): number {
  return fs.statSync(`/dev/shm/shmkit.${name}`).blocks * 512;
}

function valueOf(n: number, id: number, length: number): Uint8Array {
  return new Uint8Array(length).fill((n * 31 + id) & 255);
}

/** Whether `value` is valueOf(n, id, length), checked fast (toEqual walks a typed array slowly). */
function holds(value: unknown, n: number, id: number, length: number): boolean {
  return value instanceof Uint8Array && value.length === length && Buffer.from(value.buffer, value.byteOffset, value.length).equals(valueOf(n, id, length));
}

interface FillResult { written: number; refused: string | null; committed: number; error?: string }

describe.skipIf(!Section.growable)('namespaces that grow as they fill', () => {
  it('a fresh namespace reserves 1 GiB and costs a few pages; after 10 MB it has committed them', () => {
    const name = uniqueName('fresh');
    using ns = Namespace.open(name);
    try {
      expect(ns.section.size).toBe(DEFAULT_MAX_SIZE);
      const fresh = allocated(name);
      console.log(`fresh namespace: ${fresh} bytes allocated in /dev/shm (${ns.section.committed} committed + ${HEADER_LENGTH} header)`);
      expect(fresh).toBe(ns.section.committed + HEADER_LENGTH); // committed = allocated: fallocate
      expect(fresh).toBeLessThanOrEqual(128 * 1024);
      const listed = Section.list().find((info) => info.name === name)!;
      expect(listed).toMatchObject({ committed: fresh, reserved: DEFAULT_MAX_SIZE + HEADER_LENGTH, size: DEFAULT_MAX_SIZE });

      for (let n = 0; n < 10; n++) ns.set(`mb${n}`, valueOf(n, 0, MiB));
      ns.verify();
      const after = allocated(name);
      expect(ns.section.committed).toBeGreaterThanOrEqual(10 * MiB);
      expect(ns.section.committed).toBeLessThan(13 * MiB); // grown by steps of an eighth, not doubled
      expect(after).toBe(ns.section.committed + HEADER_LENGTH);
      expect(ns.inspect()).toMatchObject({ size: DEFAULT_MAX_SIZE, committed: ns.section.committed });
      expect(Section.list().find((info) => info.name === name)).toMatchObject({ committed: after });
      for (let n = 0; n < 10; n++) expect(holds(ns.get(`mb${n}`), n, 0, MiB)).toBe(true);
    } finally {
      ns.destroy();
    }
  });

  it('10,000 small keys: what they commit', () => {
    const name = uniqueName('small');
    using ns = Namespace.open(name);
    try {
      for (let n = 0; n < 10_000; n++) ns.set(`key-${n}`, n);
      ns.verify();
      console.log(`10,000 small keys: ${ns.section.committed} bytes committed, ${allocated(name)} allocated in /dev/shm`);
      expect(ns.section.committed).toBeLessThan(2 * MiB);
    } finally {
      ns.destroy();
    }
  });

  it('size alone keeps a fixed size: committed at create, NamespaceFullError past it', () => {
    const name = uniqueName('fixed');
    using ns = Namespace.open(name, { size: MiB });
    try {
      expect(ns.section.committed).toBe(ns.section.size);
      expect(allocated(name)).toBe(MiB + HEADER_LENGTH);
      expect(() => {
        for (let n = 0; ; n++) ns.set(`k${n}`, valueOf(n, 0, 4096));
      }).toThrow(NamespaceFullError);
      expect(allocated(name)).toBe(MiB + HEADER_LENGTH);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('maxSize bounds growth; size with maxSize is committed up front; bad combinations are typed errors', () => {
    const name = uniqueName('bounded');
    using ns = Namespace.open(name, { maxSize: 2 * MiB });
    try {
      expect(ns.section.size).toBe(2 * MiB);
      expect(ns.section.committed).toBeLessThan(256 * 1024);
      expect(() => {
        for (let n = 0; ; n++) ns.set(`k${n}`, valueOf(n, 0, 4096));
      }).toThrow(NamespaceFullError);
      ns.verify();
      expect(ns.section.committed).toBeLessThanOrEqual(2 * MiB);
      expect(ns.section.committed).toBeGreaterThan(2 * MiB - 64 * 1024);
    } finally {
      ns.destroy();
    }
    const upFront = uniqueName('upfront');
    using both = Namespace.open(upFront, { size: MiB, maxSize: 8 * MiB });
    try {
      expect(both.section.size).toBe(8 * MiB);
      expect(both.section.committed).toBe(MiB);
      for (let n = 0; n < 1000; n++) both.set(`k${n}`, valueOf(n, 0, 4096));
      expect(both.section.committed).toBeGreaterThan(MiB);
      both.verify();
    } finally {
      both.destroy();
    }
    expect(() => Namespace.open(uniqueName('bad'), { size: 4 * MiB, maxSize: MiB })).toThrow(InvalidArgValueError);
    expect(() => Namespace.open(uniqueName('bad'), { maxSize: 1000 })).toThrow(/options.maxSize/);
    expect(() => Namespace.open(uniqueName('bad'), { maxSize: 2 ** 31 })).toThrow(/options.maxSize/);
  });

  it('a file-backed namespace grows its file the same way and flushes only what is committed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-grow-'));
    const file = path.join(dir, 'ns.swp');
    const name = uniqueName('filegrow');
    removeAfter(name, file);
    try {
      using ns = Namespace.open(name, { file, maxSize: 64 * MiB });
      expect(fs.statSync(file).size).toBe(ns.section.committed + HEADER_LENGTH);
      for (let n = 0; n < 8; n++) ns.set(`v${n}`, valueOf(n, 1, MiB));
      ns.section.flush();
      expect(fs.statSync(file).size).toBe(ns.section.committed + HEADER_LENGTH);
      ns.close();
      using again = Namespace.open(name, { file, reuse: true });
      for (let n = 0; n < 8; n++) expect(holds(again.get(`v${n}`), n, 1, MiB)).toBe(true);
      again.verify();
    } finally {
      Namespace.destroy(name, { file });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('growth in one process is usable by every other without a remap: each reads what the other stored past its first size', async () => {
    const name = uniqueName('peers');
    using ns = Namespace.open(name); // small now
    const firstCommitted = ns.section.committed;
    const reader = startChild('growth-peer.mjs', [JSON.stringify({ name, role: 'reader', prefix: 'p', valueBytes: 256 * 1024, durationMs: 1500 })]);
    try {
      expect(await reader.message(20_000)).toBe('ready');
      for (let n = 0; n < 64; n++) ns.set(`p${n}`, valueOf(n, 0, 256 * 1024)); // 16 MiB: grows many times
      const seen = await reader.message<{ reads: number; highest: number; bad: number; error?: string }>(20_000);
      expect(seen.error).toBeUndefined();
      expect(seen.bad).toBe(0);
      expect(seen.highest).toBe(63);
      // And the other way round: a child grows it further, this process reads.
      const filler = startChild('growth-peer.mjs', [JSON.stringify({ name, role: 'fill', prefix: 'q', id: 7, count: 64, valueBytes: 256 * 1024 })]);
      const filled = await filler.message<FillResult>(60_000);
      expect(filled.error).toBeUndefined();
      expect(filled.written).toBe(64);
      expect(ns.section.committed).toBeGreaterThan(32 * MiB);
      expect(ns.section.committed).toBeGreaterThan(firstCommitted);
      for (let n = 0; n < 64; n++) expect(holds(ns.get(`q${n}`), n, 7, 256 * 1024)).toBe(true);
      ns.verify();
      await filler.exit();
      await reader.exit();
    } finally {
      reader.kill('SIGKILL');
      ns.destroy();
    }
  }, 120_000);

  it('4 processes fill one namespace from a few pages to 256 MiB at once; verify() passes and every value is whole', async () => {
    const name = uniqueName('four');
    const maxSize = 256 * MiB;
    using ns = Namespace.open(name, { maxSize });
    const valueBytes = 64 * 1024;
    const children = [0, 1, 2, 3].map((id) =>
      startChild('growth-peer.mjs', [JSON.stringify({ name, role: 'fill', maxSize, prefix: `p${id}-`, id, valueBytes })]),
    );
    try {
      const results = await Promise.all(children.map((child) => child.message<FillResult>(240_000)));
      for (const result of results) {
        expect(result.error, result.error).toBeUndefined();
        expect(result.refused).toBe('ERR_SHMKIT_NAMESPACE_FULL');
        expect(result.written).toBeGreaterThan(100);
      }
      const total = results.reduce((sum, result) => sum + result.written, 0);
      console.log(`4 fillers: ${results.map((r) => r.written).join(' + ')} = ${total} values of 64 KiB; committed ${ns.section.committed}`);
      expect(total * valueBytes).toBeGreaterThan(maxSize * 0.9);
      expect(ns.section.committed).toBeGreaterThan(maxSize - 2 * MiB);
      expect(ns.section.committed).toBeLessThanOrEqual(maxSize);
      ns.verify();
      results.forEach((result, id) => {
        for (let n = 0; n < result.written; n++) {
          if (!holds(ns.get(`p${id}-${n}`), n, id, valueBytes)) expect.fail(`p${id}-${n} is not whole`);
        }
      });
      await Promise.all(children.map((child) => child.exit()));
    } finally {
      for (const child of children) child.kill('SIGKILL');
      ns.destroy();
    }
  }, 300_000);
});
