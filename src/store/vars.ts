/**
 * The tied interface (Win32::MMF::Shareable, win32-mmap's `map.foo = 'hello'`): a Proxy whose
 * properties are the namespace's variables. Assigning undefined (or `delete`) removes one.
 */
export interface VariableStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  has(key: string): boolean;
  delete(key: string): boolean;
  keys(): string[];
}

export function vars(store: VariableStore): Record<string, unknown> {
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_, key) => (typeof key === 'string' ? store.get(key) : undefined),
    set: (_, key, value) => {
      if (typeof key !== 'string') return false;
      store.set(key, value);
      return true;
    },
    has: (_, key) => typeof key === 'string' && store.has(key),
    deleteProperty: (_, key) => {
      if (typeof key === 'string') store.delete(key);
      return true;
    },
    ownKeys: () => store.keys(),
    getOwnPropertyDescriptor: (_, key) =>
      typeof key === 'string' && store.has(key)
        ? { value: store.get(key), writable: true, enumerable: true, configurable: true }
        : undefined,
  });
}
