// Section under Wine: cross-process sharing, Windows' lifetime rule, file-backed sections on a
// real file, Global\ names, process liveness.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PermissionError, Section, SectionExistsError, SectionNotFoundError } from '../../dist/index.js';
import { platform } from '../../dist/platform/index.js';
import { closeAfter, collectGarbage, onCleanup, scratchDir, startChild, test, uniqueName } from './harness.mjs';

const peer = (config) => startChild('wine/fixtures/section-peer.mjs', [JSON.stringify(config)]);

test('a child opens the section, sees our write, and its write is seen here', async () => {
  const name = uniqueName('share');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  const words = new Int32Array(section.buffer);
  Atomics.store(words, 0, 1234);
  const child = peer({ role: 'read-write', name, value: 5678 });
  const reply = await child.message();
  assert.equal(reply.ok, true, reply.error);
  assert.equal(reply.seen, 1234);
  assert.equal(Atomics.load(words, 1), 5678);
  await child.exit();
});

test('create of a name that exists is SectionExistsError; open of a missing one SectionNotFoundError', () => {
  const name = uniqueName('exists');
  const section = closeAfter(Section.create(name, { size: 100 }));
  assert.throws(() => Section.create(name, { size: 100 }), SectionExistsError);
  assert.throws(() => Section.open(uniqueName('missing')), SectionNotFoundError);
  assert.equal(section.size, 100);
});

test('a paging-file section vanishes with its last handle, in whichever process that is', async () => {
  const name = uniqueName('vanish');
  const section = Section.create(name, { size: 4096 });
  const holder = peer({ role: 'hold', name });
  assert.equal((await holder.message()).held, true);
  section.close(); // the creator lets go: the holder's handle keeps it alive
  const again = closeAfter(Section.open(name));
  again.close();
  holder.process.send('release');
  assert.equal((await holder.message()).ok, true);
  await holder.exit();
  // Nobody holds it now: it is gone, with no unlink (POSIX would keep it until unlinked).
  assert.throws(() => Section.open(name), SectionNotFoundError);
  // unlink has nothing to remove, and says so; the name is free for a new section.
  assert.equal(Section.unlink(name, { force: true }), false);
  const fresh = closeAfter(Section.create(name, { size: 4096 }));
  assert.equal(new Int32Array(fresh.buffer)[0], 0);
});

test('a process killed holding the only handle takes the section with it', async () => {
  const name = uniqueName('killed-holder');
  Section.create(name, { size: 4096 }).close(); // gone already: nobody held it
  assert.throws(() => Section.open(name), SectionNotFoundError);
  const section = Section.create(name, { size: 4096 });
  const holder = peer({ role: 'hold', name });
  await holder.message();
  section.close();
  holder.kill(); // TerminateProcess: its handles close with it
  await holder.exit();
  assert.throws(() => Section.open(name), SectionNotFoundError);
});

test('a file-backed section lives in its file: it outlives every handle, and unlink deletes it', async () => {
  const dir = scratchDir();
  const file = path.join(dir, 'swapfile.shm');
  const name = uniqueName('file');
  (() => {
    const section = Section.create(name, { size: 10_000, file });
    new Int32Array(section.buffer)[0] = 4242;
    section.close();
  })();
  assert.ok(fs.statSync(file).size >= 10_000);
  const child = peer({ role: 'read-write', name, file, value: 77 });
  const reply = await child.message();
  assert.equal(reply.ok, true, reply.error);
  assert.equal(reply.seen, 4242);
  await child.exit();
  const readBack = () => {
    const reopened = Section.open(name, { file });
    const value = new Int32Array(reopened.buffer)[1];
    reopened.close();
    return value;
  };
  assert.equal(readBack(), 77);
  // A closed section's view stays mapped until its ArrayBuffers are collected, and Windows
  // deletes a mapped file only when the last view goes: collect them first.
  await collectGarbage();
  assert.equal(Section.unlink(name, { file }), true);
  // unlink looked at the section first (is it in use?): that view, too, must be collected
  // before Wine lets the file go (Windows 10's POSIX delete removes the name at once).
  await collectGarbage();
  assert.equal(fs.existsSync(file), false);
  assert.throws(() => Section.open(name, { file }), SectionNotFoundError);
});

test('scope global: Global\\ names; a local open does not find a global section', async () => {
  const name = uniqueName('global');
  let section;
  try {
    section = Section.create(name, { size: 4096, scope: 'global' });
  } catch (error) {
    // Real Windows without SeCreateGlobalPrivilege: the typed error, with the way out.
    assert.ok(error instanceof PermissionError, String(error));
    assert.match(error.message, /SeCreateGlobalPrivilege/);
    return;
  }
  onCleanup(() => section.close());
  new Int32Array(section.buffer)[0] = 99;
  assert.throws(() => Section.open(name), SectionNotFoundError);
  const child = peer({ role: 'read-write', name, scope: 'global', value: 1 });
  const reply = await child.message();
  assert.equal(reply.ok, true, reply.error);
  assert.equal(reply.seen, 99);
  await child.exit();
  assert.throws(() => Section.create(name, { size: 1, scope: 'galactic' }), /scope/);
});

test('liveness by pid and creation time: a live child is known, a terminated one is dead', async () => {
  const os = platform();
  assert.ok(os.currentProcess.startTime > 0);
  assert.equal(os.processStartTime(process.pid), os.currentProcess.startTime);
  const name = uniqueName('liveness');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  const child = peer({ role: 'hold', name });
  await child.message();
  const started = os.processStartTime(child.pid);
  assert.ok(started > 0, `start time ${started}`);
  assert.equal(os.processStartTime(child.pid), started);
  child.kill();
  await child.exit();
  assert.equal(os.processStartTime(child.pid), 0);
  assert.equal(os.processStartTime(0x7fff_fff0), 0);
});
