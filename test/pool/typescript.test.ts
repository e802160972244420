// TypeScript worker files: run through type stripping where this Node has it; elsewhere a
// TypeScriptUnsupportedError that says what to do (tested on every Node).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TypeScriptUnsupportedError } from '../../src/index.js';
import { canLoadTypeScript } from '../../src/pool/load-handler.js';
import { FIXTURES, makePool, within } from './pool-helpers.js';

const TS_WORKER = path.join(FIXTURES, 'pool-worker.ts');
// Workers get the pool's execArgv ([] here): decide as they will.
const stripping = canLoadTypeScript([]);

describe('TypeScript worker files', () => {
  it.skipIf(!stripping)('runs a .ts worker where Node strips types', async () => {
    const pool = makePool({ filename: TS_WORKER, maxWorkers: 1, execArgv: [] });
    expect(await within(pool.run({ a: 6, b: 7 }), 20_000, 'ts task')).toBe(42);
  });

  it.skipIf(stripping)(`Node ${process.version} cannot strip types: run() fails with TypeScriptUnsupportedError saying what to do`, async () => {
    for (const mode of ['thread', 'process'] as const) {
      const pool = makePool({ filename: TS_WORKER, mode, maxWorkers: 1, execArgv: [] });
      const error = await within(pool.run({ a: 6, b: 7 }).catch((e: unknown) => e as Error), 20_000, 'ts task');
      expect(error).toBeInstanceOf(TypeScriptUnsupportedError);
      expect((error as TypeScriptUnsupportedError).code).toBe('ERR_SHMKIT_TYPESCRIPT_UNSUPPORTED');
      expect((error as Error).message).toMatch(/compile it to \.js/);
      expect((error as Error).message).toMatch(/tsx/);
      expect((error as Error).message).toMatch(/strip-types/);
    }
  });
});
