import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgTypeError, InvalidArgValueError, OutOfRangeError, Section, SectionNotFoundError } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { removeAfter, uniqueName } from '../helpers/names.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-mapped-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('Section.mappedBy', () => {
  it('lists the memory- and file-backed sections this process maps, with their bytes', () => {
    const memoryName = uniqueName('mapped-mem');
    const fileName = uniqueName('mapped-file');
    const file = path.join(scratch, 'mapped.shm');
    removeAfter(fileName, file);
    using memory = Section.create(memoryName, { size: 8192 });
    using backed = Section.create(fileName, { size: 4096, file });
    const mine = Section.mappedBy(process.pid);
    const memoryRow = mine.find((row) => row.name === memoryName);
    expect(memoryRow).toMatchObject({ backing: 'memory', deleted: false, mappings: 1 });
    expect(memoryRow!.mappedBytes).toBeGreaterThanOrEqual(memory.size);
    expect(mine.find((row) => row.name === fileName)).toMatchObject({ backing: 'file', path: file, deleted: false });
    expect(backed.size).toBe(4096);
  });

  it('lists what another process maps, and nothing of ours', async () => {
    const name = uniqueName('mapped-child');
    using section = Section.create(name, { size: 4096 });
    const child = startChild('attach-and-idle.mjs', [name]);
    try {
      await child.message(20_000);
      const names = Section.mappedBy(child.process.pid!).map((row) => row.name);
      expect(names).toContain(name);
      expect(section.size).toBe(4096);
    } finally {
      child.kill('SIGKILL');
      await child.exit();
    }
  });

  it('refuses a pid that is not a positive integer, or names no process', () => {
    expect(() => Section.mappedBy(0)).toThrow(OutOfRangeError);
    expect(() => Section.mappedBy('1' as unknown as number)).toThrow(InvalidArgTypeError);
    expect(() => Section.mappedBy(2 ** 31 - 2)).toThrow(/no process/);
  });
});

describe('options.scope', () => {
  it("'global' and 'local' name the same section on POSIX, where names are machine-wide", () => {
    const name = uniqueName('scope');
    using created = Section.create(name, { size: 64, scope: 'global' });
    using opened = Section.open(name, { scope: 'local' });
    new Int32Array(created.buffer)[0] = 7;
    expect(new Int32Array(opened.buffer)[0]).toBe(7);
  });

  it('refuses an unknown scope, and a global file-backed section', () => {
    expect(() => Section.create(uniqueName('scope'), { size: 64, scope: 'galaxy' as 'global' })).toThrow(InvalidArgValueError);
    expect(() => Section.open(uniqueName('scope'), { scope: 'local' })).toThrow(SectionNotFoundError);
    const file = path.join(scratch, 'global.shm');
    expect(() => Section.create(uniqueName('scope'), { size: 64, file, scope: 'global' })).toThrow(/file-backed/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
