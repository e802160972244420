/**
 * A namespace records its codec when it is created: opening it with another one is
 * OptionsMismatchError naming both, and leaving it out takes the recorded one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IncompatibleSectionError, Namespace, OptionsMismatchError } from '../../src/index.js';
import { msgpackCodec, type Codec } from '../../src/codec/index.js';
import { NS_CODEC_OFFSET } from '../../src/layout/namespace.js';
import { uniqueName } from '../helpers/names.js';

const opened: Namespace[] = [];
afterEach(() => {
  for (const ns of opened.splice(0)) ns.destroy();
});

function create(options: Parameters<typeof Namespace.open>[1] = {}): Namespace {
  const ns = Namespace.open(uniqueName('codec'), { size: 1 << 20, ...options });
  opened.push(ns);
  return ns;
}

function mismatch(call: () => unknown): OptionsMismatchError {
  let caught: unknown;
  try {
    const ns = call() as Namespace;
    ns.close();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OptionsMismatchError);
  expect((caught as OptionsMismatchError).code).toBe('ERR_SHMKIT_OPTIONS_MISMATCH');
  return caught as OptionsMismatchError;
}

/** A custom codec: MessagePack under another name. */
function custom(): Codec {
  const msgpack = msgpackCodec();
  return { encode: (value) => msgpack.encode(value), decode: (bytes) => msgpack.decode(bytes) };
}

describe('a namespace opened with another codec', () => {
  it("'raw' on a msgpack namespace is OptionsMismatchError naming both, and nothing is read or written", () => {
    const ns = create();
    ns.set('k', { a: 1 });
    const error = mismatch(() => Namespace.open(ns.name, { codec: 'raw' }));
    expect(error.message).toContain(`namespace '${ns.name}' exists with codec 'msgpack', not codec 'raw'`);
    mismatch(() => Namespace.open(ns.name, { codec: '@msgpack/msgpack' }));
    mismatch(() => Namespace.open(ns.name, { codec: custom() }));
    mismatch(() => Namespace.open(ns.name, { reuse: true, codec: 'raw' }));
    expect(ns.get('k')).toEqual({ a: 1 });
  });

  it('the same codec opens; leaving it out takes the recorded built-in codec', () => {
    const raw = create({ codec: 'raw' });
    raw.set('bytes', new Uint8Array([1, 2, 3]));
    const again = Namespace.open(raw.name, { codec: 'raw' });
    expect(again.get('bytes')).toEqual(new Uint8Array([1, 2, 3]));
    again.close();
    const plain = Namespace.open(raw.name); // no codec: takes 'raw', reads what raw wrote
    expect(plain.get('bytes')).toEqual(new Uint8Array([1, 2, 3]));
    plain.set('more', new Uint8Array([4]));
    plain.close();
    expect(raw.get('more')).toEqual(new Uint8Array([4]));
    mismatch(() => Namespace.open(raw.name, { codec: 'msgpack' }));
  });

  it('a custom codec is recorded as custom: another custom codec opens, a built-in one or none does not', () => {
    const ns = create({ codec: custom() });
    ns.set('k', 'v');
    const other = Namespace.open(ns.name, { codec: custom() });
    expect(other.get('k')).toBe('v');
    other.close();
    expect(mismatch(() => Namespace.open(ns.name)).message).toContain('exists with a custom codec');
    expect(mismatch(() => Namespace.open(ns.name, { codec: 'msgpack' })).message).toContain("exists with a custom codec, not codec 'msgpack'");
  });

  it('a namespace that records no codec (made before it was recorded) opens with any, as before', () => {
    const ns = create();
    new Int32Array(ns.section.buffer, NS_CODEC_OFFSET, 1)[0] = 0;
    const raw = Namespace.open(ns.name, { codec: 'raw' });
    raw.close();
  });

  it('a codec word no shmkit writes is a damaged header: IncompatibleSectionError', () => {
    const ns = create();
    new Int32Array(ns.section.buffer, NS_CODEC_OFFSET, 1)[0] = 99;
    expect(() => Namespace.open(ns.name).close()).toThrow(IncompatibleSectionError);
    new Int32Array(ns.section.buffer, NS_CODEC_OFFSET, 1)[0] = 1;
  });
});
