/**
 * Issue 9, item 14: a file-backed section's directory is resolved safely. Each directory on
 * the way is opened with O_NOFOLLOW|O_DIRECTORY and the file is created or opened relative
 * to the last one. A symbolic link is followed only where nobody else could have put it
 * (a directory owned by this user or root that others cannot write, or, in a sticky
 * directory such as /tmp, a link owned by this user or root). The directory that holds the
 * file must be owned by this user or root, and not writable by others unless sticky.
 * Anything else is UnsafePathError, and nothing is created.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Namespace, Section, ShmkitError } from '../../src/index.js';
import { removeAfter, uniqueName } from '../helpers/names.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ShmkitError);
    expect((error as Error).message.length).toBeGreaterThan(20);
    return (error as ShmkitError).code;
  }
  return undefined;
}

describe('the directory of a file-backed section', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-dir-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  // A /tmp of our own: world-writable and sticky, as /tmp is.
  const shared = path.join(root, 'tmp');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o1777);
  // What an attacker would point a link at ("/etc").
  const victim = path.join(root, 'etc');
  fs.mkdirSync(path.join(victim, 'sub'), { recursive: true });

  function link(at: string, target: string, owner?: number): void {
    fs.symlinkSync(target, at);
    if (owner !== undefined) fs.lchownSync(at, owner, owner);
  }

  it("another user's symlink in a sticky shared directory is not followed (the /tmp/link -> /etc case)", (context) => {
    if (!isRoot) {
      context.skip('making a symlink owned by another user needs root (chown)');
      return;
    }
    const evil = path.join(shared, 'evil');
    link(evil, victim, NOBODY);
    const name = uniqueName('symdir');
    const file = path.join(evil, 'x.swp');
    removeAfter(name, path.join(victim, 'x.swp'));
    expect(codeOf(() => Section.create(name, { size: 64, file }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(codeOf(() => Section.openOrCreate(name, { size: 64, file }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(codeOf(() => Namespace.open(name, { file }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    // An intermediate component: evil/sub/x.swp must not land in etc/sub either.
    expect(codeOf(() => Section.create(name, { size: 64, file: path.join(evil, 'sub', 'x.swp') }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(fs.readdirSync(victim)).toEqual(['sub']);
    expect(fs.readdirSync(path.join(victim, 'sub'))).toEqual([]);
    // A section that really is there is not opened or removed through the link either.
    Section.create(name, { size: 64, file: path.join(victim, 'x.swp') }).close();
    expect(codeOf(() => Section.open(name, { file }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(codeOf(() => Section.unlink(name, { file }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(fs.existsSync(path.join(victim, 'x.swp'))).toBe(true);
  });

  it('a symlink of our own in a sticky directory, or in a directory only we write, is followed', () => {
    const own = path.join(shared, `own-${process.pid}`);
    link(own, victim);
    const name = uniqueName('ownlink');
    removeAfter(name, path.join(victim, 'own.swp'));
    Section.create(name, { size: 64, file: path.join(own, 'own.swp') }).close();
    expect(fs.existsSync(path.join(victim, 'own.swp'))).toBe(true);
    const privateDir = fs.mkdtempSync(path.join(root, 'private-'));
    link(path.join(privateDir, 'to-etc'), '../etc/sub');
    const name2 = uniqueName('ownlink2');
    removeAfter(name2, path.join(victim, 'sub', 'own2.swp'));
    Section.create(name2, { size: 64, file: path.join(privateDir, 'to-etc', 'own2.swp') }).close();
    expect(fs.existsSync(path.join(victim, 'sub', 'own2.swp'))).toBe(true);
    expect(Section.unlink(name2, { file: path.join(privateDir, 'to-etc', 'own2.swp') })).toBe(true);
  });

  it('a directory writable by others without the sticky bit is refused; with it, accepted', () => {
    const open = path.join(root, 'world-writable');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const name = uniqueName('wdir');
    removeAfter(name, path.join(open, 'w.swp'));
    expect(codeOf(() => Section.create(name, { size: 64, file: path.join(open, 'w.swp') }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(fs.readdirSync(open)).toEqual([]);
    fs.chmodSync(open, 0o775); // group-writable: others in the group could swap the file
    expect(codeOf(() => Section.create(name, { size: 64, file: path.join(open, 'w.swp') }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    fs.chmodSync(open, 0o1777);
    Section.create(name, { size: 64, file: path.join(open, 'w.swp') }).close();
    expect(Section.unlink(name, { file: path.join(open, 'w.swp') })).toBe(true);
  });

  it('a directory owned by another user is refused', (context) => {
    if (!isRoot) {
      context.skip('making a directory owned by another user needs root (chown)');
      return;
    }
    const theirs = path.join(root, 'theirs');
    fs.mkdirSync(theirs, { mode: 0o755 });
    fs.chownSync(theirs, NOBODY, NOBODY);
    const name = uniqueName('odir');
    removeAfter(name, path.join(theirs, 'o.swp'));
    expect(codeOf(() => Section.create(name, { size: 64, file: path.join(theirs, 'o.swp') }))).toBe('ERR_SHMKIT_UNSAFE_PATH');
    expect(fs.readdirSync(theirs)).toEqual([]);
  });

  it('a missing directory and a file where a directory should be are typed errors', () => {
    const name = uniqueName('nodir');
    expect(codeOf(() => Section.create(name, { size: 64, file: path.join(root, 'missing', 'm.swp') }))).toBe('ERR_SHMKIT_INVALID_ARG_VALUE');
    expect(codeOf(() => Section.open(name, { file: path.join(root, 'missing', 'm.swp') }))).toBe('ERR_SHMKIT_SECTION_NOT_FOUND');
    fs.writeFileSync(path.join(root, 'plain'), 'x');
    expect(codeOf(() => Section.create(name, { size: 64, file: path.join(root, 'plain', 'm.swp') }))).toBe('ERR_SHMKIT_INVALID_ARG_VALUE');
  });
});
