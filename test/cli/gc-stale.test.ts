/**
 * Stale or idle, as `Section.list()` and `shmkit gc` judge it after real processes leave a
 * section: a normal exit without close() gives the slot back (idle: gc keeps the data); a
 * SIGKILLed user stays recorded only until somebody opens or closes the section cleanly;
 * a section whose last users were all SIGKILLed, with nobody since, is stale and gc removes it.
 * gc always runs with a --prefix only one test's names have.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Namespace, Section, type SectionInfo } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { runPrefix, uniqueName } from '../helpers/names.js';
import { sectionExists as exists, shmkit, shmkitJson } from './run-cli.js';

const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exit(10_000).catch(() => undefined);
  }
});

let tags = 0;
/** A prefix for this test's names, and the names' maker. */
function scope(): { prefix: string; name: (what: string) => string } {
  const tag = `gc-stale-${process.pid}-${++tags}-`;
  return { prefix: `${runPrefix()}${tag}`, name: (what) => uniqueName(`${tag}${what}`) };
}

function info(name: string): SectionInfo {
  const found = Section.list().find((entry) => entry.name === name);
  if (!found) throw new Error(`section ${name} is not listed`);
  return found;
}


/** Starts leave-section.mjs and waits for it to say it is attached. */
async function leave(name: string, how: string, kind = 'section'): Promise<Child> {
  const child = startChild('leave-section.mjs', [name, how, kind]);
  children.push(child);
  const said = await child.message<{ attached?: boolean; error?: string }>(20_000);
  expect(said).toMatchObject({ attached: true });
  return child;
}

async function sigkill(child: Child): Promise<void> {
  child.kill('SIGKILL');
  expect((await child.exit(10_000)).signal).toBe('SIGKILL');
}

interface GcReport {
  dryRun: boolean;
  sections: Array<{ name: string; reason: string; deadPids: number[]; removed: boolean }>;
}

describe('a section its users left without close()', () => {
  it('process.exit(), a dry event loop, an uncaught exception: idle, not stale, and gc keeps it', async () => {
    const { prefix, name } = scope();
    const ways = ['exit', 'drain', 'throw'] as const;
    const names = ways.map((how) => name(how));
    for (const section of names) Section.create(section, { size: 1024 }).close();
    const leavers = await Promise.all(ways.map((how, i) => leave(names[i]!, how)));
    const exits = await Promise.all(leavers.map((child) => child.exit(10_000)));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 1]);
    for (const section of names) {
      expect(info(section)).toMatchObject({ state: 'ready', alive: false, stale: false, attachedPids: [], deadPids: [] });
    }
    expect(await shmkit(['gc', '--dry-run', '--prefix', prefix])).toEqual({ code: 0, stdout: 'no stale sections\n', stderr: '' });
    expect(await shmkitJson<GcReport>(['gc', '--prefix', prefix])).toEqual({ dryRun: false, sections: [] });
    expect(names.map(exists)).toEqual([true, true, true]);
    const ls = await shmkitJson<Array<{ name: string; stale: boolean; attached: unknown[] }>>(['ls', '--prefix', prefix]);
    expect(ls.map((row) => [row.name, row.stale, row.attached])).toEqual(names.sort().map((n) => [n, false, []]));
  });

  it('the README story: set without close, exit; another process reads 42 and closes: idle, gc keeps the value', async () => {
    const { prefix, name } = scope();
    const cache = name('cache');
    const writer = await leave(cache, 'exit', 'namespace');
    expect((await writer.exit(10_000)).code).toBe(0);
    {
      const ns = Namespace.open(cache, { reuse: true });
      try {
        expect(ns.get('important')).toBe(42);
      } finally {
        ns.close();
      }
    }
    expect(info(cache)).toMatchObject({ kind: 'namespace', stale: false, attachedPids: [], deadPids: [] });
    expect(await shmkitJson<GcReport>(['gc', '--dry-run', '--prefix', prefix])).toEqual({ dryRun: true, sections: [] });
    expect(await shmkitJson<GcReport>(['gc', '--prefix', prefix])).toEqual({ dryRun: false, sections: [] });
    const ns = Namespace.open(cache, { reuse: true });
    try {
      expect(ns.get('important')).toBe(42);
    } finally {
      ns.close();
    }
  });

  it('a worker thread that ends by itself gives its slot back; its process still lives', async () => {
    const { name } = scope();
    const section = name('worker');
    Section.create(section, { size: 1024 }).close();
    const child = startChild('leave-section.mjs', [section, 'worker']);
    children.push(child);
    const said = await child.message<{ workerExited?: number; pid?: number; error?: string }>(20_000);
    expect(said).toEqual({ workerExited: 0, pid: child.process.pid });
    expect(info(section)).toMatchObject({ stale: false, alive: false, attachedPids: [], deadPids: [] });
  });

  it('in this process too: a worker that ends by itself leaves no attachment behind', async () => {
    const { name } = scope();
    const section = name('here');
    using held = Section.create(section, { size: 1024 });
    const worker = new Worker(new URL('../fixtures/leave-section-worker.mjs', import.meta.url), { workerData: { name: section } });
    const code = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('worker did not end within 20 s')), 20_000);
      worker.once('error', reject);
      worker.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(0);
    expect(info(section).attachedPids).toEqual([process.pid]); // ours (held) only
    expect(held.attachSlot).toBe(0);
  });
});

describe('a section whose users were SIGKILLed', () => {
  it('stale while nobody has opened it since; gc --dry-run lists it with the dead pid', async () => {
    const { prefix, name } = scope();
    const section = name('killed');
    Section.create(section, { size: 1024 }).close();
    const victim = await leave(section, 'hold');
    await sigkill(victim);
    expect(info(section)).toMatchObject({ stale: true, alive: false, attachedPids: [], deadPids: [victim.process.pid] });
    const dry = await shmkitJson<GcReport>(['gc', '--dry-run', '--prefix', prefix]);
    expect(dry).toMatchObject({ dryRun: true, sections: [{ name: section, reason: 'stale', deadPids: [victim.process.pid], removed: false }] });
    const text = await shmkit(['gc', '--dry-run', '--prefix', prefix]);
    expect(text.stdout).toMatch(new RegExp(`^${section}\\s+raw\\s+1 KiB\\s+stale\\s+${victim.process.pid}$`, 'm'));
    expect(text.stdout).toContain('1 stale section (dry run: nothing removed)');
    expect(exists(section)).toBe(true);
    const removed = await shmkitJson<GcReport>(['gc', '--prefix', prefix]);
    expect(removed.sections).toMatchObject([{ name: section, removed: true }]);
    expect(exists(section)).toBe(false);
  });

  it('then a clean open and close: the dead attachment is freed, the section is idle and gc keeps it', async () => {
    const { prefix, name } = scope();
    const section = name('reopened');
    Section.create(section, { size: 1024 }).close();
    const victim = await leave(section, 'hold');
    await sigkill(victim);
    expect(info(section).stale).toBe(true);
    Section.open(section).close();
    expect(info(section)).toMatchObject({ stale: false, alive: false, attachedPids: [], deadPids: [] });
    expect(await shmkit(['gc', '--dry-run', '--prefix', prefix])).toMatchObject({ code: 0, stdout: 'no stale sections\n' });
    expect(await shmkitJson<GcReport>(['gc', '--prefix', prefix])).toEqual({ dryRun: false, sections: [] });
    expect(exists(section)).toBe(true);
  });

  it('cluster: a worker killed while others hold it; they leave cleanly (close, exit): idle', async () => {
    const { prefix, name } = scope();
    const cache = name('cluster');
    const primary = Section.create(cache, { size: 1024 });
    const [killed, last] = await Promise.all([leave(cache, 'hold'), leave(cache, 'hold')]);
    await sigkill(killed!);
    expect(info(cache)).toMatchObject({ alive: true, stale: false, deadPids: [killed!.process.pid] });
    primary.close(); // closing frees the dead peer's slot too
    expect(info(cache)).toMatchObject({ alive: true, attachedPids: [last!.process.pid], deadPids: [] });
    last!.kill('SIGKILL'); // the last user dies: stale again, as it should be...
    await last!.exit(10_000);
    expect(info(cache)).toMatchObject({ stale: true, deadPids: [last!.process.pid] });
    const later = await leave(cache, 'exit'); // ...until a later user opens it and exits normally
    expect((await later.exit(10_000)).code).toBe(0);
    expect(info(cache)).toMatchObject({ stale: false, attachedPids: [], deadPids: [] });
    expect(await shmkitJson<GcReport>(['gc', '--dry-run', '--prefix', prefix])).toEqual({ dryRun: true, sections: [] });
  });

  it('a live holder is never freed by others opening and closing', async () => {
    const { prefix, name } = scope();
    const section = name('held');
    Section.create(section, { size: 1024 }).close();
    const holder = await leave(section, 'hold');
    for (let i = 0; i < 20; i++) Section.open(section).close();
    expect(info(section)).toMatchObject({ alive: true, stale: false, attachedPids: [holder.process.pid], deadPids: [] });
    expect(await shmkitJson<GcReport>(['gc', '--dry-run', '--prefix', prefix])).toEqual({ dryRun: true, sections: [] });
  });
});
