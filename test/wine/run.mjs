// Runs the Wine suite: every test/wine/*.test.mjs (or those named on the command line), one
// test at a time, each bounded by its timeout. Prints one line per test and a summary; exits
// 1 if any failed. Run on the Windows node.exe under Wine by scripts/wine-test.sh.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registered, runCleanups } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = fs.readdirSync(HERE).filter((f) => f.endsWith('.test.mjs') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
const log = (line) => fs.writeSync(1, `${line}\n`);

log(`wine suite on node ${process.version} (${process.platform}-${process.arch}), ${files.length} files`);
const started = performance.now();
let passed = 0;
const failures = [];
for (const file of files) {
  const first = registered.length;
  await import(pathToFileURL(path.join(HERE, file)).href);
  for (const { name, fn, timeoutMs } of registered.slice(first)) {
    const t0 = performance.now();
    let timer;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`test timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      passed++;
      log(`ok   ${file} > ${name} (${Math.round(performance.now() - t0)} ms)`);
    } catch (error) {
      failures.push(`${file} > ${name}`);
      log(`FAIL ${file} > ${name} (${Math.round(performance.now() - t0)} ms)\n     ${String(error?.stack ?? error).replace(/\n/g, '\n     ')}`);
    } finally {
      clearTimeout(timer);
      await runCleanups();
    }
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
log(`wine suite: ${passed} passed, ${failures.length} failed, ${passed + failures.length} tests in ${seconds} s`);
for (const failure of failures) log(`  failed: ${failure}`);
process.exit(failures.length > 0 ? 1 : 0);
