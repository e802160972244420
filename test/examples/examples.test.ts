// The cookbook's programs (docs/cookbook.md), run as a user runs them: node examples/<name>.mjs,
// from the build, with a name from this run so that the suite's clean-up check covers them.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

async function example(file: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'examples', file), ...args], { cwd: ROOT, timeout: 240_000 });
  return stdout;
}

describe('cookbook examples', () => {
  it('pipeline: every job comes back exactly once through the work queue', { timeout: 300_000 }, async () => {
    const out = await example('pipeline.mjs', ['100000', '2', uniqueName('pipeline')]);
    expect(out).toMatch(/^ok: every job came back exactly once$/m);
  });

  it('harness: processes line up behind a barrier and no update is lost', { timeout: 300_000 }, async () => {
    const out = await example('harness.mjs', ['3', '200', uniqueName('harness')]);
    expect(out).toMatch(/^ok: 3 processes, \d+ updates, none lost$/m);
  });

  it.each(['thread', 'process'])('pool (%s): the README quick start runs as a user runs it', { timeout: 300_000 }, async (mode) => {
    const out = await example('pool.mjs', [mode, uniqueName('pool-example')]);
    expect(out).toMatch(/^1 \+ 2 = 3$/m);
    expect(out).toMatch(/^squares: 1 4 9 16 25/m);
    expect(out).toMatch(/^timed out: true$/m);
    expect(out).toMatch(new RegExp(`^ok: pool example \\(${mode}\\)$`, 'm'));
  });

  it('cluster cache: every user is loaded exactly once across the workers (single flight)', { timeout: 300_000 }, async () => {
    const out = await example('cluster-cache.mjs', ['3', uniqueName('cluster-cache')]);
    expect(out).toMatch(/^ok: every user was loaded exactly once$/m);
  });
});
