/**
 * Runs the real, built `shmkit` command (dist/cli/main.js) in a child process on this Node,
 * with a timeout, and hands back its exit code and output.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Section, SectionNotFoundError } from '../../src/index.js';

export const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function shmkit(args: string[], timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`shmkit ${args.join(' ')}: ${error.message} (signal ${String(error.signal)})\n${stderr}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** `shmkit ...args --json`, expecting exit 0, parsed. */
export async function shmkitJson<T = unknown>(args: string[]): Promise<T> {
  const result = await shmkit([...args, '--json']);
  if (result.code !== 0) throw new Error(`shmkit ${args.join(' ')} --json exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Every line of a text output fits an 80-column terminal. */
export function widest(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => [...line].length));
}

/** True if section `name` exists (opened read-only, without attaching). */
export function sectionExists(name: string): boolean {
  try {
    Section.open(name, { readonly: true }).close();
    return true;
  } catch (error) {
    if (error instanceof SectionNotFoundError) return false;
    throw error;
  }
}
