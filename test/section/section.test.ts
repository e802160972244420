import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Section, SectionClosedError, SectionExistsError, SectionNotFoundError } from '../../src/index.js';
import { HEADER_LENGTH } from '../../src/layout/section-header.js';
import { removeAfter, uniqueName } from '../helpers/names.js';

describe('Section', () => {
  it('creates a section whose buffer is the user area, of exactly the size asked', () => {
    const name = uniqueName('basic');
    using section = Section.create(name, { size: 1000 });
    expect(section.name).toBe(name);
    expect(section.size).toBe(1000);
    expect(section.buffer.byteLength).toBe(1000);
    expect(section.created).toBe(true);
    expect(section.readonly).toBe(false);
    expect(section.kind).toBe('raw');
    expect(new Uint8Array(section.buffer).every((byte) => byte === 0)).toBe(true);
    const stat = fs.statSync(`/dev/shm/shmkit.${name}`);
    expect(stat.size).toBe(HEADER_LENGTH + 4096);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('shares bytes between two opens, and the header cannot be reached through buffer', () => {
    const name = uniqueName('share');
    using a = Section.create(name, { size: 64 });
    using b = Section.open(name);
    expect(b.created).toBe(false);
    expect(b.size).toBe(64);
    new Uint8Array(a.buffer).set([1, 2, 3, 4]);
    expect([...new Uint8Array(b.buffer, 0, 4)]).toEqual([1, 2, 3, 4]);
    const header = new Uint32Array(a.mapping.buffer, 0, 1);
    expect(header[0]).toBe(0x4b4d4853);
    expect(() => new Uint8Array(b.buffer, 64, 1)).toThrow(RangeError);
  });

  it('refuses to create a name that exists and to open one that does not', () => {
    const name = uniqueName('exists');
    using section = Section.create(name, { size: 8 });
    expect(() => Section.create(name, { size: 8 })).toThrow(SectionExistsError);
    expect(() => Section.open(uniqueName('missing'))).toThrow(SectionNotFoundError);
    try {
      Section.open(uniqueName('missing2'));
    } catch (error) {
      expect((error as SectionNotFoundError).code).toBe('ERR_SHMKIT_SECTION_NOT_FOUND');
    }
    expect(section.closed).toBe(false);
  });

  it('openOrCreate creates once and then opens', () => {
    const name = uniqueName('ooc');
    using first = Section.openOrCreate(name, { size: 128 });
    using second = Section.openOrCreate(name, { size: 128 });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    new Uint8Array(first.buffer)[5] = 9;
    expect(new Uint8Array(second.buffer)[5]).toBe(9);
  });

  it('unlink removes the name but open mappings keep working', () => {
    const name = uniqueName('unlink');
    using section = Section.create(name, { size: 16 });
    expect(Section.unlink(name)).toBe(true);
    expect(Section.unlink(name)).toBe(false);
    expect(() => Section.open(name)).toThrow(SectionNotFoundError);
    new Uint8Array(section.buffer)[0] = 1;
    expect(new Uint8Array(section.buffer)[0]).toBe(1);
  });

  it('close is idempotent; a stale buffer reads zeros instead of crashing', () => {
    const name = uniqueName('close');
    const section = Section.create(name, { size: 16 });
    const bytes = new Uint8Array(section.buffer);
    bytes[0] = 42;
    section.close();
    section.close();
    expect(section.closed).toBe(true);
    expect(() => section.buffer).toThrow(SectionClosedError);
    expect(() => section.flush()).toThrow(SectionClosedError);
    expect(bytes[0]).toBe(0);
    bytes[1] = 7; // goes to private memory, not to the section
    using again = Section.open(name);
    expect(new Uint8Array(again.buffer)[0]).toBe(42);
    expect(new Uint8Array(again.buffer)[1]).toBe(0);
  });

  it('readonly maps the section for reading and does not attach', () => {
    const name = uniqueName('ro');
    using writer = Section.create(name, { size: 16 });
    new Uint8Array(writer.buffer)[3] = 3;
    using reader = Section.open(name, { readonly: true });
    expect(reader.readonly).toBe(true);
    expect(reader.attachSlot).toBe(-1);
    expect(new Uint8Array(reader.buffer)[3]).toBe(3);
    new Uint8Array(writer.buffer)[3] = 4;
    expect(new Uint8Array(reader.buffer)[3]).toBe(4);
    const info = Section.list().find((entry) => entry.name === name)!;
    expect(info.attachedPids).toEqual([process.pid]);
  });

  it('file-backed sections persist in their file with mode 0600, and flush', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-file-'));
    const file = path.join(dir, 'data.swp');
    const name = uniqueName('file');
    removeAfter(name, file);
    try {
      const section = Section.create(name, { size: 5000, file });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      new Uint8Array(section.buffer).set([7, 8, 9]);
      section.flush();
      section.close();
      expect(fs.existsSync(`/dev/shm/shmkit.${name}`)).toBe(false);
      using reopened = Section.open(name, { file });
      expect([...new Uint8Array(reopened.buffer, 0, 3)]).toEqual([7, 8, 9]);
      expect(reopened.size).toBe(5000);
      expect(Section.unlink(name, { file })).toBe(true);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('honours mode and ignores the umask', () => {
    const name = uniqueName('mode');
    const previous = process.umask(0o077);
    try {
      using section = Section.create(name, { size: 8, mode: 0o660 });
      expect(fs.statSync(`/dev/shm/shmkit.${name}`).mode & 0o777).toBe(0o660);
      expect(section.size).toBe(8);
    } finally {
      process.umask(previous);
    }
  });

  it('list() shows size, kind, creator and attachments', () => {
    const name = uniqueName('list');
    using section = Section.create(name, { size: 300 });
    using second = Section.open(name);
    const info = Section.list().find((entry) => entry.name === name);
    expect(info).toMatchObject({
      name, size: 300, kind: 'raw', state: 'ready', creatorPid: process.pid, alive: true, stale: false,
    });
    expect(info!.attachedPids).toEqual([process.pid, process.pid]);
    second.close();
    expect(Section.list().find((entry) => entry.name === name)!.attachedPids).toEqual([process.pid]);
    section.close();
    const idle = Section.list().find((entry) => entry.name === name)!;
    expect(idle).toMatchObject({ alive: false, stale: false, attachedPids: [] });
  });

  it('reuses attach slots after close', () => {
    const name = uniqueName('slots');
    using section = Section.create(name, { size: 8 });
    const slots = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const opened = Section.open(name);
      slots.add(opened.attachSlot);
      opened.close();
    }
    expect(slots.size).toBe(1);
    expect(section.attachSlot).toBe(0);
  });
});
