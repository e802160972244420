/**
 * The pure parts of the command, without a child process: reading /proc/<pid>/maps text,
 * and tables that fit their width whatever the cells hold.
 */
import { describe, expect, it } from 'vitest';
import { formatBytes, renderTable, truncateMiddle } from '../../src/cli/format.js';
import { parseMaps } from '../../src/platform/linux-maps.js';

const MAPS = [
  '55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 1311      /usr/bin/node',
  '7f0000000000-7f0000104000 rw-s 00000000 00:1a 4242      /dev/shm/shmkit.app',
  '7f0000200000-7f0000204000 rw-s 00000000 00:1a 4242      /dev/shm/shmkit.app',
  '7f0000300000-7f0000305000 rw-s 00000000 00:1a 4343      /dev/shm/shmkit.gone (deleted)',
  '7f0000400000-7f0000414000 rw-s 00000000 08:01 777       /data/my sections/cache.shm',
  '7f0000500000-7f0000501000 rw-s 00000000 08:01 778       /data/other.bin',
  '7f0000600000-7f0000601000 rw-p 00000000 08:01 779       /data/private.shm',
  '7f0000700000-7f0000701000 rw-s 00000000 00:01 880       /dev/zero (deleted)',
  '7f0000800000-7f0000801000 rw-p 00000000 00:00 0         [heap]',
  '7f0000900000-7f0000901000 rw-s 00000000 00:1a 4444      /dev/shm/unrelated',
  '',
].join('\n');

describe('parseMaps', () => {
  it('finds the shmkit objects and the files with a section header, with their mapped bytes', () => {
    const asked: string[] = [];
    const sections = parseMaps(MAPS, (file) => {
      asked.push(file);
      return file === '/data/my sections/cache.shm' ? 'cache' : undefined;
    });
    expect(sections).toEqual([
      { name: 'app', backing: 'memory', path: '/dev/shm/shmkit.app', deleted: false, mappedBytes: 0x104000 + 0x4000, mappings: 2 },
      { name: 'cache', backing: 'file', path: '/data/my sections/cache.shm', deleted: false, mappedBytes: 0x14000, mappings: 1 },
      { name: 'gone', backing: 'memory', path: '/dev/shm/shmkit.gone', deleted: true, mappedBytes: 0x5000, mappings: 1 },
    ]);
    // Only shared mappings of files that still exist are read; private ones and anonymous memory never.
    expect(asked.sort()).toEqual(['/data/my sections/cache.shm', '/data/other.bin', '/dev/shm/unrelated']);
  });
});

describe('tables', () => {
  it('keep every line within the width, cutting names in the middle', () => {
    const long = `service-${'x'.repeat(100)}-worker-17`;
    const text = renderTable(
      [{ header: 'NAME', flexible: true, cut: 'middle', min: 12, max: 28 }, { header: 'SIZE', right: true }, { header: 'NOTE', flexible: true, min: 8 }],
      [
        [long, formatBytes(16 * 1024 * 1024), 'a note that is much too long to fit in what is left of the line'],
        ['short', formatBytes(512), '-'],
      ],
      80,
    );
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/^service-x+…x+-worker-17\s+16 MiB {2}a note/);
    expect(lines[1]).toMatch(/…$/);
    expect(lines[2]).toMatch(/^short\s+512 B {2}-$/);
  });

  it('truncateMiddle keeps both ends', () => {
    expect(truncateMiddle('abcdefghij', 5)).toBe('ab…ij');
    expect(truncateMiddle('abc', 5)).toBe('abc');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * 1024)).toBe('64 KiB');
  });
});
