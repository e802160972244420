/**
 * Every public declaration of the package (what dist/index.d.ts exports, and the public
 * members of its classes, interfaces and object types) has a doc comment: runs
 * scripts/check-doc-comments.mjs on the built dist/ and expects it to find nothing missing.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'check-doc-comments.mjs');
// The script type-checks dist/ with the compiler: ~10 s alone, several times that on a busy machine.
const TIMEOUT_MS = 90_000;

interface ScriptResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function runScript(): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { cwd: ROOT, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

describe('doc comments', () => {
  it(
    'every public declaration in dist/ has one',
    async () => {
      const result = await runScript();
      // On failure the listing (file:line Owner.member) is the useful part of the message.
      expect({ code: result.code, signal: result.signal, missing: result.stdout.split('\n').filter((line) => /^\S+:\d+ \S/.test(line)), stderr: result.stderr.trim() }).toEqual({
        code: 0,
        signal: null,
        missing: [],
        stderr: '',
      });
    },
    TIMEOUT_MS + 10_000,
  );
});
