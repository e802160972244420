import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoSpaceError, Section } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

/**
 * A full filesystem must fail at create time with NoSpaceError, never with SIGBUS on first
 * touch. We mount a 1 MiB tmpfs (the same filesystem as /dev/shm) and put file-backed sections
 * on it. Mounting needs privileges; without them the test is skipped with its reason printed.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-nospace-'));
let mounted = false;
let reason = '';
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
  mounted = true;
} catch (error) {
  reason = `cannot mount a small tmpfs here (${(error as Error).message.split('\n')[0]})`;
}

describe.skipIf(!mounted)(`full space${mounted ? '' : ` (skipped: ${reason})`}`, () => {
  beforeAll(() => {
    if (!mounted) console.warn(`no-space test skipped: ${reason}`);
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a section larger than the free space fails with NoSpaceError and leaves nothing', () => {
    const file = path.join(dir, 'big.swp');
    const name = uniqueName('nospace');
    expect(() => Section.create(name, { size: 4 * 1024 * 1024, file })).toThrow(NoSpaceError);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('sections that fit are committed: filling them never faults', () => {
    const name = uniqueName('fits');
    const file = path.join(dir, 'fits.swp');
    using section = Section.create(name, { size: 512 * 1024, file });
    try {
      new Uint8Array(section.buffer).fill(0xab);
      expect(() => Section.create(uniqueName('second'), { size: 512 * 1024, file: path.join(dir, 'two.swp') })).toThrow(
        /not enough space/,
      );
    } finally {
      Section.unlink(name, { file });
    }
  });
});

if (!mounted) {
  fs.rmSync(dir, { recursive: true, force: true });
  describe('full space', () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
}
