// process.exit() with an async wait parked on a section: the wait's OS call runs on a libuv
// pool thread, which libuv joins at exit; the doorbell hub must wake it (it hung every time).
import { expect, it } from 'vitest';
import { Event, Section } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

it('a process with a parked async wait exits on process.exit()', async () => {
  for (let trial = 0; trial < 3; trial++) {
    const name = uniqueName('exit-wait');
    using section = Section.create(name, { size: 4096 });
    Event.initialize(section.buffer, 0, { manualReset: false });
    const child = startChild('exit-with-async-wait.mjs', [name]);
    try {
      expect(await child.message(20_000)).toEqual({ parked: true });
      expect(await child.exit(15_000)).toEqual({ code: 1, signal: null });
    } finally {
      child.kill('SIGKILL');
      section.unlink();
    }
  }
});
