/**
 * DecodedValues: the values one process has decoded, by key, each with the version (entry
 * offset and stamp) it was decoded from, so a read of an unchanged value returns the same
 * frozen object without decoding again (see StoreCore.decodeEntry).
 *
 * Bounded by two generations of GENERATION_SIZE keys: when the current one is full it
 * becomes the previous one (the older previous one is dropped), and a key found in the
 * previous generation moves back to the current one. A process that cycles through a few
 * more keys than fit keeps most of its recent ones, where clearing one full Map at once made
 * every read decode, allocate and refill it.
 */
export interface DecodedValue {
  entry: number;
  stamp: number;
  value: unknown;
}

const GENERATION_SIZE = 5_000;

export class DecodedValues {
  private current = new Map<string, DecodedValue>();
  private previous = new Map<string, DecodedValue>();

  get(key: string): DecodedValue | undefined {
    const found = this.current.get(key);
    if (found !== undefined) return found;
    const old = this.previous.get(key);
    if (old !== undefined) this.insert(key, old);
    return old;
  }

  /** Keeps `value` as the decoded version (entry, stamp) of `key`, reusing its record if it has one. */
  keep(key: string, entry: number, stamp: number, value: unknown): void {
    const known = this.get(key);
    if (known !== undefined) {
      known.entry = entry;
      known.stamp = stamp;
      known.value = value;
      return;
    }
    this.insert(key, { entry, stamp, value });
  }

  private insert(key: string, record: DecodedValue): void {
    if (this.current.size >= GENERATION_SIZE) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, record);
  }

  /** Values kept, at most 2 x GENERATION_SIZE (a key may be in both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
