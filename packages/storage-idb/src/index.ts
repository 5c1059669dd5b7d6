/**
 * `idbStorage()`: a StorageDriver over IndexedDB (through idb-keyval), for
 * browser windows and Web, Shared and Service Workers. It touches only
 * `indexedDB` and `IDBKeyRange`, never `window` or `document`, and nothing
 * opens until the first call. Every failure, quota errors included, is an
 * `AnchorSyncError` with code `ERR_STORAGE` and the browser's error as `cause`.
 */
import { AnchorSyncError, type JsonValue, type StorageDriver } from '@anchorsync/core';
import { createStore, del, get, promisifyRequest, set, type UseStore } from 'idb-keyval';

export interface IdbStorageOptions {
  /** IndexedDB database name. Default `'anchorsync'`. */
  dbName?: string;
  /**
   * Object store name. Default `'kv'`. idb-keyval creates the store only with
   * the database, so each store needs its own `dbName`; a store missing from
   * an existing database fails with `ERR_STORAGE`.
   */
  storeName?: string;
}

/**
 * Makes a StorageDriver kept in IndexedDB. Values are stored as structured
 * clones of their JSON form (what `JSON.stringify` keeps), and every read
 * returns a fresh copy.
 *
 * @example
 * ```ts
 * const storage = idbStorage({ dbName: 'my-app-anchors' })
 * await runAnchorSync({ storage, transport, peers })
 * ```
 */
export function idbStorage(options: IdbStorageOptions = {}): StorageDriver {
  const dbName = options.dbName ?? 'anchorsync';
  const storeName = options.storeName ?? 'kv';
  let opened: UseStore | undefined;

  // Opened on first use, not here: "sideEffects": false, and a worker may build the
  // driver before it may touch storage. When another tab or "clear site data" deletes
  // or upgrades the database, we close our connection so that it is not blocked
  // forever, and reopen (recreating the store) on the next call.
  const store: UseStore = (mode, callback) => {
    const current = (opened ??= createStore(dbName, storeName));
    return current(mode, (objectStore) => {
      const db = objectStore.transaction.db;
      db.onversionchange = () => {
        db.close();
        if (opened === current) opened = undefined;
      };
      return callback(objectStore);
    });
  };

  async function run<T>(op: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (cause) {
      const name = (cause as { name?: unknown } | null)?.name;
      throw new AnchorSyncError('ERR_STORAGE', `IndexedDB ${op} failed in ${dbName}/${storeName}`, {
        cause,
        details: { op, dbName, storeName, ...(typeof name === 'string' ? { error: name } : {}) },
      });
    }
  }

  return {
    async get(key) {
      const k = checkKey(key);
      return run('get', () => get<JsonValue>(k, store));
    },
    async set(key, value) {
      const k = checkKey(key);
      const clone = jsonClone(value);
      return run('set', () => set(k, clone, store));
    },
    async delete(key) {
      const k = checkKey(key);
      return run('delete', () => del(k, store));
    },
    async list(prefix) {
      const p = checkKey(prefix);
      return run('list', async () => {
        const found = await store('readonly', (s) => promisifyRequest(s.getAllKeys(prefixRange(p))));
        // IndexedDB returns keys in ascending code-unit order, which is the contract's order.
        return found.filter((k): k is string => typeof k === 'string' && k.startsWith(p));
      });
    },
  };
}

/** The keys starting with `prefix`: from `prefix` up to, excluding, its successor. */
function prefixRange(prefix: string): IDBKeyRange | undefined {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  if (end === 0) return prefix === '' ? undefined : IDBKeyRange.lowerBound(prefix);
  const next = prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
  return IDBKeyRange.bound(prefix, next, false, true);
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'storage keys are strings');
  return key;
}

/** The value as JSON would keep it, so IndexedDB holds exactly what any other driver would. */
function jsonClone(value: unknown): JsonValue {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'storage values must be JSON-compatible', { cause });
  }
  if (text === undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'storage values must be JSON-compatible');
  return JSON.parse(text) as JsonValue;
}
