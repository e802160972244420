// Runs `npm run build` unless dist/ is newer than every input of the build (src/**, the
// tsconfig files, package.json). The benchmarks run from dist/; rebuilding when nothing
// changed costs 5-25 s of a quick run on a busy 2-core machine.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(entry).map((name) => newest(path.join(entry, name))));
}

function oldest(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  const names = fs.readdirSync(entry);
  return names.length === 0 ? 0 : Math.min(...names.map((name) => oldest(path.join(entry, name))));
}

const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((name) => newest(path.join(ROOT, name)));
const built = oldest(path.join(ROOT, 'dist'));
if (built > Math.max(...inputs)) {
  console.error('dist/ is newer than src/: not rebuilding');
} else {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
