/**
 * ioredis is an optional peer dependency: the core never loads it, and shmkit/bridge loads it
 * only when a bridge starts, failing with a typed error that says what to install.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Namespace, ShmkitError } from '../../src/index.js';
import { Bridge, BridgeDependencyError, BridgeDisconnectedError } from '../../src/bridge/index.js';
import { uniqueName } from '../helpers/names.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bridge-no-ioredis.mjs');

describe('ioredis, an optional peer dependency', () => {
  it('a failing import of ioredis is BridgeDependencyError (ERR_SHMKIT_BRIDGE_DEPENDENCY) saying "npm install ioredis"', async () => {
    const name = uniqueName('bridge-nodep');
    const failing = (): Promise<unknown> => Promise.reject(Object.assign(new Error("Cannot find package 'ioredis'"), { code: 'ERR_MODULE_NOT_FOUND' }));
    const error = await Bridge.start({ redis: 'redis://127.0.0.1:1', namespace: name, importRedis: failing }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BridgeDependencyError);
    expect(error).toBeInstanceOf(ShmkitError);
    expect((error as BridgeDependencyError).code).toBe('ERR_SHMKIT_BRIDGE_DEPENDENCY');
    expect((error as Error).message).toContain("npm install ioredis");
    expect(Namespace.exists(name)).toBe(false); // refused before anything was made
  });

  it('a Redis that cannot be reached at start is BridgeDisconnectedError naming where (no password)', async () => {
    const name = uniqueName('bridge-noredis');
    const error = await Bridge.start({ redis: 'redis://user:secret@127.0.0.1:1', namespace: name }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BridgeDisconnectedError);
    expect((error as Error).message).toContain('redis://user:***@127.0.0.1:1');
    expect((error as Error).message).not.toContain('secret');
    Namespace.destroy(name);
  });

  it('with ioredis unresolvable (loader hook), the core and shmkit/bridge still load; only starting a bridge fails, typed', () => {
    const name = uniqueName('bridge-nodep');
    const output = execFileSync(process.execPath, [FIXTURE, name], { encoding: 'utf8', timeout: 30_000 });
    const report = JSON.parse(output.trim().split('\n').pop()!) as { core: boolean; bridgeModule: boolean; started?: boolean; error?: { code: string; message: string; isShmkit: boolean } };
    expect(report.core).toBe(true);
    expect(report.bridgeModule).toBe(true);
    expect(report.started).toBeUndefined();
    expect(report.error).toMatchObject({ code: 'ERR_SHMKIT_BRIDGE_DEPENDENCY', isShmkit: true });
    expect(report.error!.message).toContain('npm install ioredis');
  });
});
