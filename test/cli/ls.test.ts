/**
 * `shmkit ls` and `shmkit ls --pid`, run as the real command against sections this test
 * makes (and a child that holds them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Namespace, Section } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { removeAfter, uniqueName } from '../helpers/names.js';
import { shmkit, shmkitJson, widest } from './run-cli.js';

interface Row {
  name: string;
  kind: string;
  state: string;
  size: number;
  totalSize: number;
  committed: number | null;
  reserved: number;
  creatorPid: number;
  createdAt: string | null;
  attached: Array<{ pid: number; alive: boolean }>;
  alive: boolean;
  stale: boolean;
  error: string | null;
}

interface MappedRow {
  name: string;
  backing: 'memory' | 'file';
  path: string;
  deleted: boolean;
  mappedBytes: number;
  mappings: number;
  section: Row | null;
}

const children: Child[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exit(10_000).catch(() => undefined);
  }
  for (const close of closers.splice(0)) close();
});

function hold(name: string, file?: string): Promise<Child> {
  const child = startChild('cli-holder.mjs', file ? [name, file] : [name]);
  children.push(child);
  return child.message(20_000).then(() => child);
}

describe('shmkit ls', () => {
  it('lists the sections with kind, size, creator and attached pids, in JSON and in 80 columns', async () => {
    const raw = uniqueName('cli-ls-raw');
    const section = Section.create(raw, { size: 4096 });
    closers.push(() => section.close());
    const nsName = uniqueName('cli-ls-ns');
    const ns = Namespace.open(nsName, { size: 256 * 1024 });
    closers.push(() => ns.close());
    const growName = uniqueName('cli-ls-grow');
    const growing = Namespace.open(growName, { maxSize: 64 * 1024 * 1024 });
    closers.push(() => growing.close());
    const child = await hold(raw);

    const rows = await shmkitJson<Row[]>(['ls']);
    expect(Array.isArray(rows)).toBe(true);
    const rawRow = rows.find((row) => row.name === raw)!;
    expect(rawRow).toMatchObject({ kind: 'raw', state: 'ready', size: 4096, creatorPid: process.pid, alive: true, stale: false, error: null });
    expect(rawRow.attached).toEqual(expect.arrayContaining([{ pid: process.pid, alive: true }, { pid: child.process.pid, alive: true }]));
    expect(rawRow.totalSize).toBeGreaterThan(4096);
    expect(typeof rawRow.createdAt).toBe('string');
    const nsRow = rows.find((row) => row.name === nsName)!;
    expect(nsRow).toMatchObject({ kind: 'namespace', size: 256 * 1024, attached: [{ pid: process.pid, alive: true }] });
    // Committed and reserved: a fixed namespace commits it all, a growable one a few pages of its 64 MiB.
    expect(nsRow.committed).toBe(nsRow.reserved);
    const growRow = rows.find((row) => row.name === growName)!;
    expect(growRow).toMatchObject({ size: 64 * 1024 * 1024, reserved: 64 * 1024 * 1024 + 16384 });
    expect(growRow.committed).toBeLessThan(256 * 1024);
    // Stable keys: every row has all of them.
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(Object.keys(rawRow).sort());

    const text = await shmkit(['ls']);
    expect(text.code).toBe(0);
    expect(widest(text.stdout)).toBeLessThanOrEqual(80);
    expect(text.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+SIZE\s+COMMITTED\s+CREATOR\s+STATE\s+ATTACHED$/);
    const one = await shmkit(['ls', '--prefix', raw]);
    const line = one.stdout.split('\n')[1]!;
    // (The name may be cut in the middle to leave room for the COMMITTED column in 80 columns.)
    expect(line.split(/\s+/).slice(1)).toEqual(['raw', '4', 'KiB', '20', 'KiB', String(process.pid), 'live', ...rawRow.attached.map((a) => String(a.pid))]);
    expect(raw.endsWith(line.split(/\s+/)[0]!.split('…').at(-1)!)).toBe(true);
    const grown = (await shmkit(['ls', '--prefix', growName])).stdout.split('\n')[1]!;
    expect(grown.split(/\s+/).slice(1, 6)).toEqual(['namespace', '64', 'MiB', String(growRow.committed! / 1024), 'KiB']);
  });

  it('cuts a long name in the middle with an ellipsis to fit 80 columns', async () => {
    const long = uniqueName(`cli-ls-long-${'x'.repeat(120)}`);
    Section.create(long, { size: 1024 }).close();
    const text = await shmkit(['ls', '--prefix', long]);
    expect(text.code).toBe(0);
    expect(widest(text.stdout)).toBeLessThanOrEqual(80);
    const cell = text.stdout.split('\n')[1]!.split(/\s+/)[0]!;
    expect(cell).toContain('…');
    const [head, tail] = cell.split('…');
    expect(long.startsWith(head!)).toBe(true);
    expect(long.endsWith(tail!)).toBe(true);
    expect((await shmkitJson<Row[]>(['ls', '--prefix', long]))[0]!.name).toBe(long);
  });

  it('--prefix keeps only the names that start with it', async () => {
    const a = uniqueName('cli-ls-prefix');
    Section.create(a, { size: 1024 }).close();
    const rows = await shmkitJson<Row[]>(['ls', '--prefix', a]);
    expect(rows.map((row) => row.name)).toEqual([a]);
    expect(rows[0]).toMatchObject({ alive: false, stale: false, attached: [] }); // closed cleanly: idle
  });

  it('marks an attached process that died, and the section stale once nobody else is attached', async () => {
    const name = uniqueName('cli-ls-dead');
    Section.create(name, { size: 1024 }).close();
    const child = await hold(name);
    child.kill('SIGKILL');
    await child.exit(10_000);
    const [row] = await shmkitJson<Row[]>(['ls', '--prefix', name]);
    expect(row).toMatchObject({ name, alive: false, stale: true, attached: [{ pid: child.process.pid, alive: false }] });
    const text = await shmkit(['ls', '--prefix', name]);
    expect(text.stdout).toContain(`${child.process.pid}†`);
    expect(text.stdout).toMatch(/\bstale\b/);
  });

  it('--pid lists the memory-backed and file-backed sections a process maps, read from /proc', async () => {
    if (process.platform !== 'linux') return;
    const memory = uniqueName('cli-ls-pid-mem');
    Section.create(memory, { size: 8192 }).close();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-cli-'));
    closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const fileName = uniqueName('cli-ls-pid-file');
    const file = path.join(dir, 'section.shm');
    removeAfter(fileName, file);
    Section.create(fileName, { size: 8192, file }).close();
    const a = await hold(memory);
    const b = await hold(fileName, file);

    const rows = await shmkitJson<MappedRow[]>(['ls', '--pid', String(a.process.pid)]);
    const mine = rows.find((row) => row.name === memory)!;
    expect(mine).toMatchObject({ backing: 'memory', deleted: false, path: `/dev/shm/shmkit.${memory}` });
    expect(mine.mappedBytes).toBeGreaterThanOrEqual(8192);
    expect(mine.section).toMatchObject({ name: memory, kind: 'raw', size: 8192 });
    expect(mine.section!.attached).toContainEqual({ pid: a.process.pid, alive: true });
    expect(rows.some((row) => row.name === fileName)).toBe(false); // the other child's

    const fileRows = await shmkitJson<MappedRow[]>(['ls', '--pid', String(b.process.pid)]);
    const found = fileRows.find((row) => row.name === fileName)!;
    expect(found).toMatchObject({ backing: 'file', path: fs.realpathSync(file), deleted: false });
    expect(found.section).toMatchObject({ name: fileName, size: 8192 });

    const text = await shmkit(['ls', '--pid', String(a.process.pid)]);
    expect(text.code).toBe(0);
    expect(widest(text.stdout)).toBeLessThanOrEqual(80);
    expect(text.stdout).toMatch(/^NAME\s+KIND\s+SIZE\s+MAPPED\s+STATE\s+FROM$/m);
  });

  it('--pid of a process that does not run is a clear error, exit 1', async () => {
    const child = startChild('exit-now.mjs');
    await child.exit(10_000);
    const dead = child.process.pid!;
    const result = await shmkit(['ls', '--pid', String(dead)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`shmkit: no process with pid ${dead} is running\n`);
    const json = await shmkit(['ls', '--pid', String(dead), '--json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'ERR_SHMKIT_INVALID_ARG_VALUE', message: `shmkit: no process with pid ${dead} is running` } });
  });
});
