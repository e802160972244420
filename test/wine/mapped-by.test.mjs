// Section.mappedBy on Windows: views of paging-file sections (told by their header) and of
// files (GetMappedFileNameW), in this process and in another.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Section } from '../../dist/index.js';
import { closeAfter, scratchDir, startChild, test, uniqueName } from './harness.mjs';

test('lists the sections another process maps: memory-backed by name, file-backed with the file', async () => {
  const memoryName = uniqueName('mapped-mem');
  const fileName = uniqueName('mapped-file');
  const file = path.join(scratchDir(), 'mapped.swp');
  const memory = closeAfter(Section.create(memoryName, { size: 100_000 }));
  closeAfter(Section.create(fileName, { size: 4096, file }));
  const holders = [
    startChild('wine/fixtures/section-peer.mjs', [JSON.stringify({ role: 'hold', name: memoryName })]),
    startChild('wine/fixtures/section-peer.mjs', [JSON.stringify({ role: 'hold', name: fileName, file })]),
  ];
  for (const holder of holders) assert.equal((await holder.message(30_000)).held, true);
  const [byMemory, byFile] = holders.map((holder) => Section.mappedBy(holder.pid));
  const row = byMemory.find((r) => r.name === memoryName);
  assert.ok(row, JSON.stringify(byMemory));
  assert.equal(row.backing, 'memory');
  assert.equal(row.mappings, 1);
  assert.ok(row.mappedBytes >= memory.size, `${row.mappedBytes} bytes mapped`);
  assert.equal(byMemory.some((r) => r.name === fileName), false); // not what the other one maps
  const fileRow = byFile.find((r) => r.name === fileName);
  assert.ok(fileRow, JSON.stringify(byFile));
  assert.equal(fileRow.backing, 'file');
  assert.equal(path.basename(fileRow.path).toLowerCase(), 'mapped.swp', fileRow.path);
  // The CLI's ls --pid is Section.mappedBy.
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
  const run = spawnSync(process.execPath, [cli, 'ls', '--pid', String(holders[0].pid), '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(JSON.parse(run.stdout).some((r) => r.name === memoryName && r.backing === 'memory'), run.stdout);
  const mine = Section.mappedBy(process.pid).map((r) => r.name);
  assert.ok(mine.includes(memoryName) && mine.includes(fileName), mine.join(', '));
  for (const holder of holders) holder.process.send('release');
  for (const holder of holders) {
    assert.equal((await holder.message()).ok, true);
    await holder.exit();
  }
  assert.throws(() => Section.mappedBy(holders[0].pid), /no process/);
}, 90_000);
