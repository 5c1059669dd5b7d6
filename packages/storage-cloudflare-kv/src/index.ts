/**
 * `kvStorage(namespace)`: a StorageDriver over a Cloudflare Workers KV
 * binding. Values are stored as JSON text. KV's limits hold before KV is
 * called: an oversized key or value fails with `ERR_STORAGE_LIMIT` and writes
 * nothing, and writes to one key are spaced a second apart. KV is eventually
 * consistent and has no transactions: read "Cloudflare KV" in the README
 * before two Workers sync one peer into one namespace.
 */
import { AnchorSyncError, isAnchorSyncError, type JsonValue, type StorageDriver } from '@anchorsync/core';
import { checkBytes, checkKey, KV_MAX_KEY_BYTES, KV_MAX_LIST_LIMIT, KV_MAX_VALUE_BYTES, KV_SAME_KEY_WRITE_SPACING_MS } from './limits.ts';
import { writeSpacer } from './write-spacing.ts';

export { KV_MAX_KEY_BYTES, KV_MAX_LIST_LIMIT, KV_MAX_VALUE_BYTES, KV_SAME_KEY_WRITE_SPACING_MS };

/** The part of a `KVNamespace` binding this driver uses; `env.MY_KV` satisfies it. */
export interface KVNamespaceLike {
  get(key: string, type: 'text'): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: { prefix?: string; cursor?: string; limit?: number }): Promise<KVListPageLike>;
}

/** One page of a KV `list`: more follow while `list_complete` is false. */
export type KVListPageLike = { keys: readonly { name: string }[] } & ({ list_complete: true } | { list_complete: false; cursor: string });

export interface KvStorageOptions {
  /** Prepended to every key so several stores can share one namespace; it counts towards the key limit. */
  prefix?: string;
  /** Keys asked for per `list` call, 1..1000 (default 1000, KV's maximum). */
  listLimit?: number;
  /** Least time between two writes (or deletes) of one key, in ms. Default 1000, KV's limit; 0 turns spacing off. */
  writeSpacingMs?: number;
}

/**
 * Makes a StorageDriver over a KV namespace binding. Make it once per
 * isolate and reuse it: the engine's in-process lock and the write spacing
 * are per driver object.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` when `namespace` is not a binding or an option is malformed.
 * @example
 * ```ts
 * let storage: StorageDriver | undefined
 * export default {
 *   async scheduled(_event, env) {
 *     storage ??= kvStorage(env.ANCHORS)
 *     await runAnchorSync({ storage, transport, peers })
 *   },
 * }
 * ```
 */
export function kvStorage(namespace: KVNamespaceLike, options: KvStorageOptions = {}): StorageDriver {
  if (typeof namespace?.get !== 'function' || typeof namespace.list !== 'function') {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'kvStorage needs a KV namespace binding (e.g. env.ANCHORS)');
  }
  const { prefix: base = '', listLimit: limit = KV_MAX_LIST_LIMIT, writeSpacingMs = KV_SAME_KEY_WRITE_SPACING_MS } = options;
  if (typeof base !== 'string' || !Number.isInteger(limit) || limit < 1 || limit > KV_MAX_LIST_LIMIT || typeof writeSpacingMs !== 'number' || !Number.isFinite(writeSpacingMs) || writeSpacingMs < 0) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'kvStorage options: prefix is a string, listLimit an integer 1..1000, writeSpacingMs >= 0');
  }
  const spaced = writeSpacer(writeSpacingMs);
  return {
    async get(key) {
      const text = await call('get', () => namespace.get(checkKey(base + key), 'text'));
      if (text === null) return undefined;
      try {
        return JSON.parse(text) as JsonValue;
      } catch (cause) {
        throw new AnchorSyncError('ERR_STORAGE_CORRUPT', 'a KV value is not JSON text', { cause });
      }
    },
    async set(key, value) {
      const name = checkKey(base + key);
      const text = toJson(value);
      checkBytes('value', text, KV_MAX_VALUE_BYTES);
      await spaced(name);
      await call('put', () => namespace.put(name, text));
    },
    async delete(key) {
      const name = checkKey(base + key);
      await spaced(name);
      await call('delete', () => namespace.delete(name));
    },
    async list(prefix) {
      const full = base + prefix;
      checkBytes('prefix', full, KV_MAX_KEY_BYTES);
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await call('list', () => namespace.list({ limit, ...(full ? { prefix: full } : {}), ...(cursor ? { cursor } : {}) }));
        for (const k of page.keys) out.push(k.name.slice(base.length));
        if (!page.list_complete && !page.cursor) throw new AnchorSyncError('ERR_STORAGE', 'KV list is incomplete but gave no cursor');
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor !== undefined);
      // KV orders by UTF-8 bytes; the StorageDriver contract is code-unit order.
      return out.sort();
    },
  };
}

function toJson(value: JsonValue): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value is not JSON-serialisable', { cause });
  }
  if (text === undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value is not JSON-serialisable');
  return text;
}

/** Driver failures become `ERR_STORAGE` with the driver's error as `cause`. */
async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (isAnchorSyncError(cause)) throw cause;
    throw new AnchorSyncError('ERR_STORAGE', `Cloudflare KV ${what} failed`, { cause });
  }
}
