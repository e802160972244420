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

/**
 * Values decoded by a read that is not validated yet (StoreCore.read checks the sequence
 * after its callback): kept only once the read is valid, since bytes read while a writer
 * reused the block must not be served again. Parallel arrays, reused: nothing is allocated
 * per read.
 */
export class PendingValues {
  private count = 0;
  private readonly maps: DecodedValues[] = [];
  private readonly keys: string[] = [];
  private readonly entries: number[] = [];
  private readonly stamps: number[] = [];
  private readonly values: unknown[] = [];

  add(map: DecodedValues, key: string, entry: number, stamp: number, value: unknown): void {
    const n = this.count++;
    this.maps[n] = map;
    this.keys[n] = key;
    this.entries[n] = entry;
    this.stamps[n] = stamp;
    this.values[n] = value;
  }

  /** The read was validated (keep them all) or not (drop them). */
  settle(valid: boolean): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    for (let i = 0; i < n; i++) {
      if (valid) this.maps[i]!.keep(this.keys[i]!, this.entries[i]!, this.stamps[i]!, this.values[i]);
      this.values[i] = undefined; // no reference kept to a value nobody reads
    }
  }
}
