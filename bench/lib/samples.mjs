// The values the benchmarks send.

/**
 * The object sample: 7 fields (strings, integers, a float, a boolean, a nested object, an
 * array of small objects, a string array, a Date), 165 bytes through shmkit's MessagePack
 * codec, about 250 as JSON. Objects of this shape are what apps send (an event, an order).
 */
export function sampleObject(i) {
  return {
    id: 10_000 + i,
    type: 'order.paid',
    user: { id: 1000 + i, name: `user-${1000 + i}`, admin: i % 7 === 0 },
    items: [
      { sku: `sku-${1000 + i}`, qty: 2, cents: 1999 },
      { sku: `sku-${1001 + i}`, qty: 1, cents: 550 },
    ],
    tags: ['web', 'eu'],
    total: 45.48,
    createdAt: new Date(1_767_225_600_000 + i * 1000),
  };
}

/** `count` distinct samples (0 .. count-1), sent in turn so no send is of the same object. */
export function sampleObjects(count = 64) {
  return Array.from({ length: count }, (_, i) => sampleObject(i));
}

/** A store value of about 100 bytes as JSON (105 to 113), for the store/cache scenario. */
export function storeValue(i) {
  return {
    id: i,
    name: `item-${i}`,
    tags: ['red', 'sale'],
    score: (i % 100) / 4,
    nested: { owner: 1000 + i, region: 'eu', ok: i % 3 !== 0 },
  };
}
