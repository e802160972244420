/**
 * `shmkit rm` and `shmkit gc`, run as the real command. gc is always given a --prefix that
 * only this test's names have: other test files (and other runs) keep stale sections on
 * purpose while they examine them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Section } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { removeAfter, runPrefix, uniqueName } from '../helpers/names.js';
import { sectionExists as exists, shmkit, shmkitJson } from './run-cli.js';

const children: Child[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exit(10_000).catch(() => undefined);
  }
  for (const close of closers.splice(0)) close();
});


async function hold(name: string): Promise<Child> {
  const child = startChild('cli-holder.mjs', [name]);
  children.push(child);
  await child.message(20_000);
  return child;
}

describe('shmkit rm', () => {
  it('removes a section nobody uses', async () => {
    const name = uniqueName('cli-rm');
    Section.create(name, { size: 1024 }).close();
    const result = await shmkit(['rm', name]);
    expect(result).toEqual({ code: 0, stdout: `removed ${name}\n`, stderr: '' });
    expect(exists(name)).toBe(false);
    const again = await shmkit(['rm', name, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr).error.code).toBe('ERR_SHMKIT_SECTION_NOT_FOUND');
  });

  it('refuses a section a live process uses (exit 1, naming it), removes it with --force', async () => {
    const name = uniqueName('cli-rm-busy');
    Section.create(name, { size: 1024 }).close();
    const child = await hold(name);
    const refused = await shmkit(['rm', name]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `shmkit: section '${name}' is in use by live process ${child.process.pid}; close it there first, ` +
        `or run 'shmkit rm ${name} --force' to remove it anyway (they keep their mapping)\n`,
    );
    const json = await shmkit(['rm', name, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr).error.code).toBe('ERR_SHMKIT_SECTION_IN_USE');
    expect(exists(name)).toBe(true);
    const forced = await shmkitJson<{ name: string; removed: boolean }>(['rm', name, '--force']);
    expect(forced).toEqual({ name, file: null, removed: true });
    expect(exists(name)).toBe(false);
  });

  it('--file removes a file-backed section (its file)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-cli-'));
    closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const name = uniqueName('cli-rm-file');
    const file = path.join(dir, 'section.shm');
    removeAfter(name, file);
    Section.create(name, { size: 1024, file }).close();
    const result = await shmkitJson(['rm', name, '--file', file]);
    expect(result).toEqual({ name, file, removed: true });
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('shmkit gc', () => {
  it('--dry-run lists, then gc removes, a section whose only attached process was SIGKILLed, and nothing else', async () => {
    const tag = `cli-gc-${process.pid}-`;
    const prefix = `${runPrefix()}${tag}`;
    const stale = uniqueName(`${tag}stale`);
    const idle = uniqueName(`${tag}idle`);
    const live = uniqueName(`${tag}live`);
    Section.create(stale, { size: 1024 }).close();
    Section.create(idle, { size: 1024 }).close();
    const held = Section.create(live, { size: 1024 });
    closers.push(() => held.close());
    const victim = await hold(stale);
    victim.kill('SIGKILL');
    await victim.exit(10_000);
    const otherStale = uniqueName('cli-gc-elsewhere'); // stale, but outside the prefix
    Section.create(otherStale, { size: 1024 }).close();
    const other = await hold(otherStale);
    other.kill('SIGKILL');
    await other.exit(10_000);

    const dry = await shmkitJson<{ dryRun: boolean; sections: Array<Record<string, unknown>> }>(['gc', '--dry-run', '--prefix', prefix]);
    expect(dry).toEqual({
      dryRun: true,
      sections: [{ name: stale, kind: 'raw', size: 1024, reason: 'stale', deadPids: [victim.process.pid], removed: false, note: null, failed: false }],
    });
    expect(exists(stale)).toBe(true);
    const dryText = await shmkit(['gc', '--dry-run', '--prefix', prefix]);
    expect(dryText.stdout).toContain('(dry run: nothing removed)');

    const result = await shmkit(['gc', '--prefix', prefix]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${stale}\\s+raw\\s+1 KiB\\s+stale\\s+removed$`, 'm'));
    expect(result.stdout).toContain('removed 1 of 1 stale section');
    expect(exists(stale)).toBe(false);
    expect(exists(idle)).toBe(true);
    expect(exists(live)).toBe(true);
    expect(exists(otherStale)).toBe(true);

    const nothing = await shmkitJson<{ dryRun: boolean; sections: unknown[] }>(['gc', '--prefix', prefix]);
    expect(nothing).toEqual({ dryRun: false, sections: [] });
  });
});
