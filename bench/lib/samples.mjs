// A sample object of about 150 bytes in MessagePack, the kind of value apps send.
export function sampleObject(i) {
  return {
    id: i,
    type: 'order.created',
    user: { id: 1000 + i, name: `user-${i}`, admin: i % 7 === 0 },
    items: [
      { sku: `sku-${i}`, quantity: 2, price: 19.99 },
      { sku: `sku-${i + 1}`, quantity: 1, price: 5.5 },
    ],
    tags: ['web', 'eu'],
    total: 45.48,
  };
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
