/**
 * Growth under faults (issue 13): a full tmpfs is NoSpaceError at grow time, never SIGBUS,
 * for the grower and for a reader mapped at the same time, and the namespace stays usable;
 * a grower SIGKILLed between growing the object and publishing the committed size, or in
 * the middle of the heap's growth, leaves a namespace that opens, verifies and grows on.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Namespace, NoSpaceError, Section } from '../../src/index.js';
import { HEADER_LENGTH } from '../../src/layout/section-header.js';
import { startChild } from '../helpers/child.js';
import { removeAfter, uniqueName } from '../helpers/names.js';
import { seededRandom } from '../helpers/random.js';

const MiB = 1024 * 1024;

function valueOf(n: number, id: number, length: number): Uint8Array {
  return new Uint8Array(length).fill((n * 31 + id) & 255);
}

function holds(value: unknown, n: number, id: number, length: number): boolean {
  return value instanceof Uint8Array && value.length === length && Buffer.from(value.buffer, value.byteOffset, value.length).equals(valueOf(n, id, length));
}

interface FillResult { written: number; refused: string | null; message?: string; committed: number; error?: string }
interface ReadResult { reads: number; highest: number; bad: number; error?: string }

// A 64 MiB tmpfs, as Docker's default /dev/shm. Mounting needs privileges: without them the
// tmpfs test is skipped with its reason, and the injected-failure test below still runs.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-growfull-'));
let mounted = false;
let reason = '';
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'pipe' });
  mounted = true;
} catch (error) {
  reason = `cannot mount a small tmpfs here (${(error as Error).message.split('\n')[0]})`;
}
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!Section.growable)('growth when the space runs out', () => {
  it.skipIf(!mounted)(`on a 64 MiB tmpfs: NoSpaceError at grow time, a reader mapped meanwhile sees whole values, the namespace stays usable${mounted ? '' : ` (skipped: ${reason})`}`, async () => {
    const name = uniqueName('full');
    const file = path.join(dir, 'ns.swp');
    removeAfter(name, file);
    const valueBytes = 256 * 1024;
    using ns = Namespace.open(name, { file, maxSize: 256 * MiB });
    const reader = startChild('growth-peer.mjs', [JSON.stringify({ name, file, role: 'reader', prefix: 'v', valueBytes, durationMs: 3000 })]);
    try {
      expect(await reader.message(20_000)).toBe('ready');
      let written = 0;
      let error: unknown;
      try {
        for (; ; written++) ns.set(`v${written}`, valueOf(written, 0, valueBytes));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(NoSpaceError);
      expect((error as Error).message).toMatch(/space/);
      console.log(`64 MiB tmpfs: ${written} values of 256 KiB stored, then ${(error as NoSpaceError).code}; committed ${ns.section.committed}`);
      expect(written * valueBytes).toBeGreaterThan(48 * MiB);
      // Still usable: every value is there, verify passes, room made by deleting is reused.
      ns.verify();
      for (let n = 0; n < written; n++) if (!holds(ns.get(`v${n}`), n, 0, valueBytes)) expect.fail(`v${n} is not whole`);
      for (let n = 0; n < 8; n++) ns.delete(`v${n}`);
      for (let n = 0; n < 8; n++) ns.set(`again${n}`, valueOf(n, 3, valueBytes));
      ns.verify();
      expect(holds(ns.get('again7'), 7, 3, valueBytes)).toBe(true);
      // The object never holds more than the header says is committed... nor less.
      expect(fs.statSync(file).size).toBeGreaterThanOrEqual(ns.section.committed + HEADER_LENGTH);
      const seen = await reader.message<ReadResult>(20_000);
      expect(seen.error).toBeUndefined();
      expect(seen.bad).toBe(0);
      expect(seen.reads).toBeGreaterThan(0);
      expect((await reader.exit()).code).toBe(0); // no SIGBUS
    } finally {
      reader.kill('SIGKILL');
      ns.destroy();
    }
  }, 120_000);

  it('a growth the OS refuses (injected ENOSPC) is NoSpaceError in the writer; the namespace stays usable', async () => {
    const name = uniqueName('inject');
    using ns = Namespace.open(name);
    ns.set('before', 'kept');
    const filler = startChild(
      'growth-peer.mjs',
      [JSON.stringify({ name, role: 'fill', prefix: 'v', valueBytes: 64 * 1024, count: 100 })],
      { SHMKIT_TEST_GROW_ERRNO: '28' },
    );
    const result = await filler.message<FillResult>(60_000);
    await filler.exit();
    expect(result.error).toBeUndefined();
    expect(result.refused).toBe('ERR_SHMKIT_NO_SPACE');
    expect(result.message).toMatch(/growing .* to \d+ bytes/);
    ns.verify();
    expect(ns.get('before')).toBe('kept');
    for (let n = 0; n < result.written; n++) expect(holds(ns.get(`v${n}`), n, 0, 64 * 1024)).toBe(true);
    for (let n = 0; n < 100; n++) ns.set(`w${n}`, valueOf(n, 1, 64 * 1024)); // this process can grow it
    ns.verify();
    ns.destroy();
  }, 60_000);
});

describe.skipIf(!Section.growable)('a grower killed mid-growth', () => {
  it('SIGKILL between growing the object and publishing, or inside the heap growth: opens, verifies, every value whole, grows on', async () => {
    const next = seededRandom(1307);
    const valueBytes = 64 * 1024;
    let unpublished = 0;
    let rollbacks = 0;
    const trials = 16;
    for (let trial = 0; trial < trials; trial++) {
      const name = uniqueName('killgrow');
      // Even trials pause 40 ms between fallocate and the header's committed size; odd ones
      // pause at random points everywhere (journal, commit), the heap's growth among them.
      const env = trial % 2 === 0 ? { SHMKIT_TEST_GROW_PAUSE_MS: '40' } : { SHMKIT_TEST_PAUSES: '0.3:4' };
      const grower = startChild('growth-peer.mjs', [JSON.stringify({ name, role: 'grower', prefix: 'v', valueBytes, maxSize: 64 * MiB, announce: true })], env);
      try {
        expect(await grower.message(20_000)).toBe('started');
        await new Promise((resolve) => setTimeout(resolve, 20 + (next() % 300)));
        grower.kill('SIGKILL');
        await grower.exit();
        {
          using raw = Section.open(name, { readonly: true });
          const objectSize = fs.statSync(`/dev/shm/shmkit.${name}`).size;
          const published = raw.committed + HEADER_LENGTH;
          expect(objectSize).toBeGreaterThanOrEqual(published); // the header never claims more than there is
          if (objectSize > published) unpublished++;
        }
        using ns = Namespace.open(name, { reuse: true });
        ns.verify(); // takes the lock: recovers it from the dead grower and rolls back
        rollbacks += ns.inspect().counters.rollbacks;
        const keys = ns.keys();
        for (const key of keys) {
          const n = Number(key.slice(1));
          if (!holds(ns.get(key), n, 0, valueBytes)) expect.fail(`trial ${trial}: ${key} is not whole`);
        }
        // It grows on from where the dead one stopped.
        const before = ns.section.committed;
        for (let n = 0; n < 40; n++) ns.set(`after${n}`, valueOf(n, 2, valueBytes));
        ns.verify();
        expect(ns.section.committed).toBeGreaterThanOrEqual(before);
        ns.destroy();
      } finally {
        grower.kill('SIGKILL');
      }
    }
    console.log(`${trials} kills mid-growth: ${unpublished} left the object grown past the published size, ${rollbacks} rollbacks`);
    expect(unpublished).toBeGreaterThan(0); // some kills did land between the two steps
  }, 300_000);
});
