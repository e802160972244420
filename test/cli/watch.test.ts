/**
 * `shmkit watch`, run as the real command: --count bounds it, --json gives one line per tick
 * with rates from the second tick on, and without a terminal each tick is appended.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { shmkit, widest } from './run-cli.js';

interface Tick {
  tick: number;
  time: string;
  name: string;
  intervalMs: number;
  counters: Array<{ object: string; kind: string; counter: string; value: number; rate: number | null }>;
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe('shmkit watch', () => {
  it('--count 2 --json prints two JSON lines, rates of counters from the second', async () => {
    const name = uniqueName('cli-watch');
    const ns = Namespace.open(name, { size: 256 * 1024 });
    closers.push(() => ns.close());
    const jobs = ns.channel('jobs', { capacity: 4096 });
    jobs.send('x');
    const cache = ns.cache('c');
    cache.get('missing');

    const result = await shmkit(['watch', name, '--count', '2', '--interval', '200', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const ticks = lines.map((line) => JSON.parse(line) as Tick);
    expect(ticks.map((t) => t.tick)).toEqual([1, 2]);
    for (const tick of ticks) {
      expect(tick).toMatchObject({ name, intervalMs: 200 });
      expect(Number.isNaN(Date.parse(tick.time))).toBe(false);
    }
    const find = (tick: Tick, object: string, counter: string) => tick.counters.find((c) => c.object === object && c.counter === counter)!;
    expect(find(ticks[0]!, '(namespace)', 'writes').rate).toBeNull();
    expect(find(ticks[1]!, '(namespace)', 'writes').rate).toBe(0);
    expect(find(ticks[1]!, 'jobs', 'messages')).toMatchObject({ kind: 'channel', value: 1, rate: null }); // a gauge
    expect(find(ticks[1]!, 'jobs', 'bytes in').value).toBeGreaterThan(0);
    expect(find(ticks[1]!, 'c', 'misses')).toMatchObject({ kind: 'cache', value: 1, rate: 0 });
  });

  it('without a terminal, appends one table per tick in 80 columns', async () => {
    const name = uniqueName('cli-watch-text');
    const ns = Namespace.open(name, { size: 256 * 1024 });
    closers.push(() => ns.close());
    ns.mutex('m');
    const result = await shmkit(['watch', name, '--count', '2', '--interval', '50']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\x1b[');
    expect(result.stdout.match(/^shmkit watch /gm)).toHaveLength(2);
    expect(result.stdout).toMatch(/^OBJECT\s+KIND\s+COUNTER\s+VALUE\s+RATE\/S$/m);
    expect(result.stdout).toMatch(/^m\s+mutex\s+recoveries\s+0\s+0$/m);
    expect(widest(result.stdout)).toBeLessThanOrEqual(80);
  });
});
