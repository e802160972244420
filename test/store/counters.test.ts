/** ns.increment / ns.decrement in one process (4 processes: test/process/namespace.test.ts). */
import { describe, expect, it } from 'vitest';
import { InvalidArgTypeError, InvalidArgValueError, Namespace, NotLockedError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

function open(options: Parameters<typeof Namespace.open>[1] = {}): Namespace {
  return Namespace.open(uniqueName('count'), { size: 1 << 20, ...options });
}

describe('ns.increment / ns.decrement', () => {
  it('a missing key counts from 0; the variable is an ordinary number for get, keys and snapshots', () => {
    using ns = open();
    expect(ns.increment('hits')).toBe(1);
    expect(ns.increment('hits', 41)).toBe(42);
    expect(ns.decrement('hits')).toBe(41);
    expect(ns.decrement('hits', 0.5)).toBe(40.5);
    expect(ns.increment('fresh', -3)).toBe(-3);
    expect(ns.get('hits')).toBe(40.5);
    expect(ns.getMany(['hits', 'fresh'])).toEqual([40.5, -3]);
    expect(ns.keys().sort()).toEqual(['fresh', 'hits']);
    ns.set('hits', 100);
    expect(ns.increment('hits')).toBe(101);
    ns.verify();
    ns.destroy();
  });

  it('a value written by another handle (another process) is read, not a stale copy of this one', () => {
    using ns = open();
    using other = Namespace.open(ns.name);
    expect(ns.increment('n')).toBe(1);
    expect(other.increment('n')).toBe(2);
    expect(ns.increment('n')).toBe(3);
    other.set('n', 10);
    expect(ns.increment('n')).toBe(11);
    ns.destroy();
  });

  it('inside a group: seen by the group, undone with it', () => {
    using ns = open();
    ns.increment('n', 5);
    expect(() =>
      ns.withLock(() => {
        expect(ns.increment('n')).toBe(6);
        expect(ns.get('n')).toBe(6);
        throw new Error('undo');
      }),
    ).toThrow('undo');
    expect(ns.get('n')).toBe(5);
    expect(ns.increment('n')).toBe(6); // not a remembered 6 from the undone group: 5 + 1
    ns.verify();
    ns.destroy();
  });

  it('a key that holds something else, and a bad `by`, are typed errors that change nothing', () => {
    using ns = open();
    ns.set('name', 'Ada');
    ns.set('n', 1);
    expect(() => ns.increment('name')).toThrow(InvalidArgTypeError);
    expect(() => ns.increment('name')).toThrow(/'name' holds a string, not a number/);
    expect(() => ns.increment('n', '1' as never)).toThrow(InvalidArgTypeError);
    expect(() => ns.decrement('n', null as never)).toThrow(InvalidArgTypeError);
    expect(() => ns.increment('n', NaN)).toThrow(InvalidArgValueError);
    expect(() => ns.increment('n', Infinity)).toThrow(InvalidArgValueError);
    expect(() => ns.increment('', 1)).toThrow(InvalidArgValueError);
    expect(ns.get('name')).toBe('Ada');
    expect(ns.get('n')).toBe(1);
    ns.destroy();
  });

  it('works with autolock off (it takes the lock for its one step, as update does)', () => {
    using ns = open({ autolock: false });
    expect(ns.increment('n')).toBe(1);
    expect(() => ns.set('x', 1)).toThrow(NotLockedError);
    ns.destroy();
  });

  it('a counter rewritten in place 100,000 times does not grow the heap', () => {
    using ns = open();
    ns.set('n', 70_000); // already as wide as 170,000 in MessagePack (uint 32)
    const used = ns.inspect().heap.used;
    for (let i = 0; i < 100_000; i++) ns.increment('n');
    expect(ns.get('n')).toBe(170_000);
    expect(ns.inspect().heap.used).toBe(used);
    ns.verify();
    ns.destroy();
  });
});
