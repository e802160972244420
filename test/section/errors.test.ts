import { describe, expect, it } from 'vitest';
import * as fromSource from '../../src/errors.js';

describe('errors', () => {
  it('instanceof holds across two copies of the module (source and build output)', async () => {
    // The build output (npm test builds first); a URL keeps tsc from needing dist/ to typecheck.
    const fromBuild = (await import(new URL('../../dist/errors.js', import.meta.url).href)) as typeof fromSource;
    const error = new fromBuild.SectionNotFoundError('x');
    expect(error).toBeInstanceOf(fromSource.SectionNotFoundError);
    expect(error).toBeInstanceOf(fromSource.ShmkitError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(fromSource.SectionExistsError);
    expect(new fromSource.TimeoutError('t')).toBeInstanceOf(fromBuild.ShmkitError);
    expect(error.code).toBe('ERR_SHMKIT_SECTION_NOT_FOUND');
    expect(error.name).toBe('SectionNotFoundError');
    expect({ code: 'ERR_SHMKIT_TIMEOUT' }).not.toBeInstanceOf(fromSource.ShmkitError);
  });

  it('every class has a distinct ERR_SHMKIT_ code', () => {
    const classes = Object.values(fromSource).filter((value) => typeof value === 'function') as Array<
      new (...args: never[]) => fromSource.ShmkitError
    >;
    const codes = new Set<string>();
    for (const Class of classes) {
      const instance = Reflect.construct(Class, ['message', 0, 'call']) as fromSource.ShmkitError;
      if (Class === fromSource.ShmkitError) continue;
      expect(instance.code).toMatch(/^ERR_SHMKIT_[A-Z_]+$/);
      codes.add(instance.code);
    }
    expect(codes.size).toBe(classes.length - 1);
  });
});
