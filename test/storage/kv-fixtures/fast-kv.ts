/**
 * kvStorage for the engine scenarios and in-Worker runs, with the 1 s
 * same-key write spacing turned off: local workerd does not rate-limit
 * writes, and the scenarios write one key many times. The spacing has its
 * own test (kv-limits.test.ts), and kv-miniflare.test.ts runs the
 * conformance suite with every default.
 */
import { kvStorage, type KvStorageOptions, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import type { StorageDriver } from '@anchorsync/core';

export function fastKv(namespace: KVNamespaceLike, options: KvStorageOptions = {}): StorageDriver {
  return kvStorage(namespace, { writeSpacingMs: 0, ...options });
}
