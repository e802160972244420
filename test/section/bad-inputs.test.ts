import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Section, ShmkitError } from '../../src/index.js';
import {
  BYTE_ORDER_MARK_SWAPPED,
  BYTE_ORDER_OFFSET,
  HEADER_LENGTH,
  MAGIC_OFFSET,
  SECTION_MAGIC_SWAPPED,
  VERSION_OFFSET,
} from '../../src/layout/section-header.js';
import { uniqueName } from '../helpers/names.js';

/**
 * The shmkit objects that this file could have made. Other test files run alongside and make
 * their own: test names of other processes, and the foreign-looking `other-program-*` object
 * that run-prefix.test.ts makes to prove the cleanup leaves it alone.
 */
function shmEntries(): string[] {
  const mine = (entry: string): boolean =>
    entry.startsWith('shmkit.') &&
    !entry.startsWith('shmkit.other-program-') &&
    (!entry.startsWith('shmkit.test-') || entry.includes(`-${process.pid}-`));
  return fs.readdirSync('/dev/shm').filter(mine).sort();
}

/** What appeared since `before` (other files may remove their own objects meanwhile). */
function madeSince(before: string[]): string[] {
  return shmEntries().filter((entry) => !before.includes(entry));
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(ShmkitError);
  expect((thrown as ShmkitError).code).toBe(code);
  expect((thrown as Error).message.length).toBeGreaterThan(10);
}

describe('bad names', () => {
  const cases: Array<[string, unknown]> = [
    ['empty', ''],
    ['dot', '.'],
    ['dot-dot', '..'],
    ['slash', 'a/b'],
    ['parent path', '../x'],
    ['NUL', 'a\0b'],
    ['201 characters', 'a'.repeat(201)],
    ['leading dot', '.hidden'],
    ['space', 'a b'],
    ['backslash', 'a\\b'],
    ['number', 42],
    ['undefined', undefined],
    ['null', null],
    ['object', { name: 'x' }],
  ];
  it.each(cases)('%s is InvalidNameError for create, open, openOrCreate and unlink, leaving nothing', (_, name) => {
    const before = shmEntries();
    expectCode(() => Section.create(name as string, { size: 8 }), 'ERR_SHMKIT_INVALID_NAME');
    expectCode(() => Section.open(name as string), 'ERR_SHMKIT_INVALID_NAME');
    expectCode(() => Section.openOrCreate(name as string, { size: 8 }), 'ERR_SHMKIT_INVALID_NAME');
    expectCode(() => Section.unlink(name as string), 'ERR_SHMKIT_INVALID_NAME');
    expect(madeSince(before)).toEqual([]);
  });

  it('accepts 200 characters and every allowed character', () => {
    const name = `${uniqueName('n')}-A_z.9`;
    const long = (name + 'x'.repeat(200)).slice(0, 200);
    for (const candidate of [name, long]) {
      using section = Section.create(candidate, { size: 8 });
      expect(section.name).toBe(candidate);
      section.unlink();
    }
  });
});

describe('bad sizes and options', () => {
  const sizes: Array<[string, unknown, string]> = [
    ['0', 0, 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['-1', -1, 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['1.5', 1.5, 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['NaN', NaN, 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['Infinity', Infinity, 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['beyond the maximum (1 TiB)', 2 ** 40 + 1, 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['a string', '100', 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['a bigint', 100n, 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['missing', undefined, 'ERR_SHMKIT_INVALID_ARG_VALUE'],
  ];
  it.each(sizes)('size %s is refused and leaves nothing', (_, size, code) => {
    const name = uniqueName('size');
    const before = shmEntries();
    expectCode(() => Section.create(name, { size } as never), code);
    expectCode(() => Section.openOrCreate(name, { size } as never), code);
    expect(madeSince(before)).toEqual([]);
  });

  const options: Array<[string, () => unknown, string]> = [
    ['create without options', () => Section.create('x', undefined as never), 'ERR_SHMKIT_INVALID_ARG_VALUE'],
    ['options not an object', () => Section.create('x', 5 as never), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['unknown option', () => Section.create('x', { size: 8, sise: 9 } as never), 'ERR_SHMKIT_INVALID_ARG_VALUE'],
    ['mode a string', () => Section.create('x', { size: 8, mode: '600' } as never), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['mode beyond 0o777', () => Section.create('x', { size: 8, mode: 0o4777 }), 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['mode without owner rw', () => Section.create('x', { size: 8, mode: 0o400 }), 'ERR_SHMKIT_INVALID_ARG_VALUE'],
    ['file a number', () => Section.create('x', { size: 8, file: 5 } as never), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['file empty', () => Section.create('x', { size: 8, file: '' }), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['file with NUL', () => Section.create('x', { size: 8, file: '/tmp/a\0b' }), 'ERR_SHMKIT_INVALID_ARG_VALUE'],
    ['readonly a string', () => Section.open('x', { readonly: 'yes' } as never), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['timeout negative', () => Section.open('x', { timeout: -1 }), 'ERR_SHMKIT_OUT_OF_RANGE'],
    ['timeout a string', () => Section.open('x', { timeout: '5' } as never), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['open options an array', () => Section.open('x', [] as never), 'ERR_SHMKIT_INVALID_ARG_TYPE'],
    ['unlink unknown option', () => Section.unlink('x', { forse: true } as never), 'ERR_SHMKIT_INVALID_ARG_VALUE'],
  ];
  it.each(options)('%s is a typed error', (_, call, code) => {
    const before = shmEntries();
    expectCode(call, code);
    expect(madeSince(before)).toEqual([]);
  });
});

describe('foreign, damaged and other-format sections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-bad-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function sectionFile(tag: string, patch: (bytes: Uint8Array) => void): string {
    const name = uniqueName(tag);
    const file = path.join(dir, `${name}.swp`);
    Section.create(name, { size: 4096, file }).close();
    const bytes = new Uint8Array(fs.readFileSync(file));
    patch(bytes);
    fs.writeFileSync(file, bytes);
    return file;
  }

  it('a plain text file is IncompatibleSectionError', () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'hello, I am not a section\n'.repeat(1000));
    expectCode(() => Section.open('plain', { file }), 'ERR_SHMKIT_INCOMPATIBLE_SECTION');
  });

  it('a small plain file is IncompatibleSectionError (smaller than a header)', () => {
    const file = path.join(dir, 'small.txt');
    fs.writeFileSync(file, 'tiny');
    expectCode(() => Section.open('small', { file }), 'ERR_SHMKIT_INCOMPATIBLE_SECTION');
  });

  it('random bytes are IncompatibleSectionError', () => {
    const file = path.join(dir, 'random.bin');
    const bytes = new Uint8Array(HEADER_LENGTH * 2);
    let seed = 12345;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    fs.writeFileSync(file, bytes);
    expectCode(() => Section.open('random', { file }), 'ERR_SHMKIT_INCOMPATIBLE_SECTION');
  });

  it('a file of zeros (no header, nobody initialising) is IncompatibleSectionError', () => {
    const file = path.join(dir, 'zeros.bin');
    fs.writeFileSync(file, new Uint8Array(HEADER_LENGTH * 2));
    expectCode(() => Section.open('zeros', { file, timeout: 2000 }), 'ERR_SHMKIT_INCOMPATIBLE_SECTION');
  });

  it('another format version is IncompatibleSectionError naming both versions', () => {
    const file = sectionFile('version', (bytes) => new DataView(bytes.buffer).setUint32(VERSION_OFFSET, 99, true));
    expect(() => Section.open('v', { file })).toThrow(/format version 99/);
  });

  it('the other byte order is IncompatibleSectionError', () => {
    const file = sectionFile('endian', (bytes) => {
      const view = new DataView(bytes.buffer);
      view.setUint32(MAGIC_OFFSET, SECTION_MAGIC_SWAPPED, true);
      view.setUint32(BYTE_ORDER_OFFSET, BYTE_ORDER_MARK_SWAPPED, true);
    });
    expect(() => Section.open('e', { file })).toThrow(/other byte order/);
  });

  it('a truncated section is IncompatibleSectionError', () => {
    const name = uniqueName('trunc');
    const file = path.join(dir, `${name}.swp`);
    Section.create(name, { size: 100_000, file }).close();
    fs.truncateSync(file, HEADER_LENGTH + 4096);
    expect(() => Section.open(name, { file })).toThrow(/truncated/);
    fs.truncateSync(file, 100);
    expectCode(() => Section.open(name, { file }), 'ERR_SHMKIT_INCOMPATIBLE_SECTION');
  });

  it('a symbolic link is refused, not followed', () => {
    const target = path.join(dir, 'target.swp');
    const link = path.join(dir, 'link.swp');
    const name = uniqueName('link');
    Section.create(name, { size: 10, file: target }).close();
    fs.symlinkSync(target, link);
    expectCode(() => Section.open(name, { file: link }), 'ERR_SHMKIT_INVALID_ARG_VALUE');
    expectCode(() => Section.create(uniqueName('link2'), { size: 10, file: link }), 'ERR_SHMKIT_SECTION_EXISTS');
  });

  it('a missing file is SectionNotFoundError', () => {
    expectCode(() => Section.open('gone', { file: path.join(dir, 'missing.swp') }), 'ERR_SHMKIT_SECTION_NOT_FOUND');
  });

  it('a section owned by another user is PermissionError', () => {
    if (process.getuid?.() !== 0) {
      console.warn('skipped: changing a file owner needs root');
      return;
    }
    const name = uniqueName('owner');
    Section.create(name, { size: 10, mode: 0o666 }).close();
    execFileSync('chown', ['65534', `/dev/shm/shmkit.${name}`]);
    expectCode(() => Section.open(name), 'ERR_SHMKIT_PERMISSION');
  });
});
