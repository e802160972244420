/**
 * Issue 9, item 15: removing or truncating a section other processes use.
 * - Section.unlink by name refuses a section that live processes (other than the caller)
 *   have attached, with SectionInUseError naming them, unless { force: true }.
 * - Every open checks the object's size against the header: a truncated object is refused
 *   with IncompatibleSectionError before anything touches the missing pages.
 * - What cannot be protected: truncating an object under a live mapping kills that process
 *   with SIGBUS (the last test shows it, so the notes stay honest).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IncompatibleSectionError, Section, SectionInUseError } from '../../src/index.js';
import { HEADER_LENGTH } from '../../src/layout/section-header.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

const objectFile = (name: string) => `/dev/shm/shmkit.${name}`;

describe('Section.unlink of a section in use', () => {
  it('refuses while a live child is attached, naming it; force removes it; a dead child does not count', async () => {
    const name = uniqueName('inuse');
    Section.create(name, { size: 64 }).close();
    const child = startChild('attach-and-idle.mjs', [name]);
    try {
      await child.message(10_000);
      let thrown: unknown;
      try {
        Section.unlink(name);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SectionInUseError);
      expect(thrown).toMatchObject({ code: 'ERR_SHMKIT_SECTION_IN_USE', pids: [child.process.pid] });
      expect((thrown as Error).message).toMatch(new RegExp(`${child.process.pid}.*force: true`));
      expect(fs.existsSync(objectFile(name))).toBe(true);
      child.kill('SIGKILL');
      expect((await child.exit(10_000)).signal).toBe('SIGKILL');
      // Stale now: every attached process is dead, so removal needs no force.
      expect(Section.unlink(name)).toBe(true);
      expect(fs.existsSync(objectFile(name))).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await child.exit(10_000).catch(() => undefined);
    }
  });

  it('force: true removes a section in use; the attached process keeps working on its mapping', async () => {
    const name = uniqueName('inuseforce');
    using section = Section.create(name, { size: 64 });
    const child = startChild('attach-and-idle.mjs', [name]);
    try {
      await child.message(10_000);
      expect(() => Section.unlink(name)).toThrow(SectionInUseError);
      expect(Section.unlink(name, { force: true })).toBe(true);
      expect(fs.existsSync(objectFile(name))).toBe(false);
      new Uint8Array(section.buffer)[0] = 1; // our mapping stays valid after the name is gone
      expect(new Uint8Array(section.buffer)[0]).toBe(1);
    } finally {
      child.kill('SIGKILL');
      await child.exit(10_000).catch(() => undefined);
    }
  });

  it("the caller's own attachments do not block it; force must be a boolean", () => {
    const name = uniqueName('inuseself');
    using section = Section.create(name, { size: 64 });
    expect(section.attachSlot).toBeGreaterThanOrEqual(0);
    expect(() => Section.unlink(name, { force: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_INVALID_ARG_TYPE' }));
    expect(Section.unlink(name)).toBe(true);
    expect(Section.unlink(name)).toBe(false);
  });
});

describe('truncated objects', () => {
  it('open and list() check the size against the header: a truncated object is refused, not mapped', () => {
    const name = uniqueName('truncated');
    Section.create(name, { size: 100_000 }).close();
    fs.truncateSync(objectFile(name), HEADER_LENGTH + 4096);
    expect(() => Section.open(name)).toThrow(IncompatibleSectionError);
    expect(() => Section.open(name, { readonly: true })).toThrow(/truncated: its header says \d+ bytes but it holds 20480/);
    expect(Section.list().find((info) => info.name === name)).toMatchObject({ state: 'incompatible', error: expect.stringMatching(/truncated/) });
    expect(Section.unlink(name)).toBe(true);
  });

  it('cannot be protected: truncating the object under a live mapping kills the mapper with SIGBUS', async () => {
    const name = uniqueName('sigbus');
    Section.create(name, { size: 65_536 }).close();
    const child = startChild('touch-loop.mjs', [name]);
    try {
      await child.message(10_000);
      fs.truncateSync(objectFile(name), HEADER_LENGTH);
      expect((await child.exit(10_000)).signal).toBe('SIGBUS');
    } finally {
      child.kill('SIGKILL');
      await child.exit(10_000).catch(() => undefined);
    }
  });
});
