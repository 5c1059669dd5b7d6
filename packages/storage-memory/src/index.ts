/**
 * `memoryStorage()`: a StorageDriver in a Map, for tests, short-lived
 * processes and as the reference every other driver is checked against.
 * Values are copied in and out, so a caller mutating an object it stored
 * or read never changes what is stored.
 */
import type { JsonValue, StorageDriver } from '@anchorsync/core';

/**
 * Makes an empty in-memory StorageDriver.
 *
 * @example
 * ```ts
 * const storage = memoryStorage()
 * await storage.set('k', { a: 1 })
 * ```
 */
export function memoryStorage(): StorageDriver {
  const data = new Map<string, string>();
  return {
    async get(key) {
      const text = data.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
    },
    async set(key, value) {
      data.set(key, JSON.stringify(value));
    },
    async delete(key) {
      data.delete(key);
    },
    async list(prefix) {
      const out: string[] = [];
      for (const key of data.keys()) if (key.startsWith(prefix)) out.push(key);
      return out.sort();
    },
  };
}
