/**
 * The command line itself: usage errors exit 2 and say where the help is, --help works at the
 * top and on every command, and every message that names a `shmkit` command names one that
 * exists (in the help texts and anywhere in src/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shmkit } from './run-cli.js';

const COMMANDS = ['ls', 'inspect', 'watch', 'rm', 'gc', 'bridge'];
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The command words of quoted command lines: 'shmkit ls', `shmkit rm ${name}`, "shmkit gc
 * --dry-run" — a quote, "shmkit", a word, then the closing quote, an option, an argument
 * placeholder or interpolation, or the end. Prose that starts a message with "shmkit" ("shmkit
 * does not support...") is not a command line.
 */
function namedCommands(text: string): string[] {
  return [...text.matchAll(/[`'"]shmkit ([a-z][a-z-]*)(?=[`'"\\/]|\s+(?:[-$A-Z<`'"\\]|\[)|\s*$)/gm)].map((match) => match[1]!);
}

describe('shmkit usage', () => {
  it.each([
    [['bogus'], /^shmkit: unknown command 'bogus' \(commands: ls, inspect, watch, rm, gc, bridge; see 'shmkit --help'\)\n$/],
    [['ls', '--bogus'], /^shmkit: unknown option '--bogus' \(see 'shmkit ls --help'\)\n$/],
    [['ls', 'extra'], /^shmkit: unexpected argument 'extra'/],
    [['ls', '--pid', 'abc'], /^shmkit: --pid must be an integer/],
    [['inspect'], /^shmkit: missing NAME \(see 'shmkit inspect --help'\)\n$/],
    [['inspect', '../etc'], /^shmkit: NAME "\.\.\/etc" may only contain/],
    [['watch', 'x', '--interval', '5'], /^shmkit: --interval must be an integer from 10/],
    [['watch', 'x', '--count', '0'], /^shmkit: --count must be an integer from 1/],
    [['rm'], /^shmkit: missing NAME/],
    [['gc', '--dry-run=yes'], /^shmkit: option '--dry-run' takes no value/],
    [['--bogus'], /^shmkit: unknown option '--bogus' before the command/],
    [['help', 'ls', 'extra'], /^shmkit: unexpected argument 'extra'/],
    [['help', 'bogus'], /^shmkit: unknown command 'bogus'/],
  ])('shmkit %j exits 2', async (args, message) => {
    const result = await shmkit(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('no command at all prints the help to stderr and exits 2', async () => {
    const result = await shmkit([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Usage: shmkit <command>/);
  });

  it('usage errors carry their code in --json mode', async () => {
    const result = await shmkit(['ls', '--bogus', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toEqual({
      error: { code: 'ERR_SHMKIT_INVALID_ARG_VALUE', message: "shmkit: unknown option '--bogus' (see 'shmkit ls --help')" },
    });
    const badName = await shmkit(['inspect', 'a/b', '--json']);
    expect(badName.code).toBe(2);
    expect(JSON.parse(badName.stderr).error.code).toBe('ERR_SHMKIT_INVALID_NAME');
  });

  it('--json may also come before the command', async () => {
    const result = await shmkit(['--json', 'ls', '--prefix', 'no-such-prefix-']);
    expect(result).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('--help at the top level lists every command; each command has its own', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const top = await shmkit(args);
      expect(top.code).toBe(0);
      for (const command of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
    }
    for (const command of COMMANDS) {
      const help = await shmkit([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: shmkit ${command}`));
      expect(help.stdout).toContain('--json');
      expect(Math.max(...help.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
      for (const named of namedCommands(help.stdout)) expect(COMMANDS).toContain(named);
      expect((await shmkit(['help', command])).stdout).toBe(help.stdout);
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await shmkit(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('every `shmkit <command>` named in src/ is a command that exists', () => {
    const named: Array<{ file: string; command: string }> = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts')) {
          for (const command of namedCommands(fs.readFileSync(full, 'utf8'))) named.push({ file: path.relative(ROOT, full), command });
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    expect(named.length).toBeGreaterThan(5); // the scan finds the messages it is meant to check
    expect(named.filter(({ command }) => !COMMANDS.includes(command) && command !== 'help')).toEqual([]);
  });
});
