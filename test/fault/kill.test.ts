import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Section, SectionAbandonedError, TimeoutError } from '../../src/index.js';
import { INIT_INITIALIZING, INIT_STATE_OFFSET, MAGIC_OFFSET, SECTION_MAGIC } from '../../src/layout/section-header.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

/** Polls (bounded) until the creator has written its header and sits in INITIALIZING. */
async function waitForInitializing(name: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const file = `/dev/shm/shmkit.${name}`;
  while (Date.now() < deadline) {
    try {
      const bytes = fs.readFileSync(file);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (
        bytes.length >= 64 &&
        view.getUint32(MAGIC_OFFSET, true) === SECTION_MAGIC &&
        view.getInt32(INIT_STATE_OFFSET, true) === INIT_INITIALIZING
      ) {
        return;
      }
    } catch {
      // not created yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`section ${name} did not reach INITIALIZING within ${timeoutMs} ms`);
}

describe('dead processes', () => {
  it('SIGKILL of an attached child: list() reports the section stale once no one alive is attached', async () => {
    const name = uniqueName('stale');
    const section = Section.create(name, { size: 64 });
    const child = startChild('attach-and-idle.mjs', [name]);
    await child.message();
    let info = Section.list().find((entry) => entry.name === name)!;
    expect(info.attachedPids.sort()).toEqual([process.pid, child.process.pid].sort());
    section.close();
    info = Section.list().find((entry) => entry.name === name)!;
    expect(info).toMatchObject({ alive: true, stale: false, attachedPids: [child.process.pid] });
    child.kill('SIGKILL');
    expect((await child.exit()).signal).toBe('SIGKILL');
    info = Section.list().find((entry) => entry.name === name)!;
    expect(info).toMatchObject({ alive: false, stale: true, attachedPids: [], deadPids: [child.process.pid] });
    // A new attacher makes it live again; with no free slot left it would take the dead one.
    using reopened = Section.open(name);
    expect(reopened.attachSlot).toBe(0);
    expect(Section.list().find((entry) => entry.name === name)).toMatchObject({ stale: false, alive: true });
  });

  it('a creator killed during init: the opener gets SectionAbandonedError within its timeout', async () => {
    const name = uniqueName('abandon');
    const child = startChild('create-section.mjs', [name, '4096'], { SHMKIT_TEST_INIT_PAUSE_MS: '60000' });
    await waitForInitializing(name);
    // While the creator lives, an opener waits, then times out with a clear error.
    const started = performance.now();
    expect(() => Section.open(name, { timeout: 200 })).toThrow(TimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    child.kill('SIGKILL');
    await child.exit();
    const killedAt = performance.now();
    expect(() => Section.open(name, { timeout: 5000 })).toThrow(SectionAbandonedError);
    expect(() => Section.open(name, { timeout: 5000 })).toThrow(/died while initialising/);
    expect(performance.now() - killedAt).toBeLessThan(2000);
    const info = Section.list().find((entry) => entry.name === name)!;
    expect(info).toMatchObject({ state: 'abandoned', stale: true });
  });

  it('an opener that arrives during a slow but live init waits and then gets the section', async () => {
    const name = uniqueName('slowinit');
    const child = startChild('create-section.mjs', [name, '4096'], { SHMKIT_TEST_INIT_PAUSE_MS: '400' });
    await waitForInitializing(name);
    using section = Section.open(name, { timeout: 10_000 });
    expect(section.size).toBe(4096);
    await child.message();
    expect(new Uint8Array(section.buffer)[0]).toBe(77);
    child.process.send('close');
    await child.exit();
  });
});
