/**
 * Test helpers for the encrypting wrapper: fixed keys, a dump of what the
 * storage provider sees, and a fault injector that wraps a real driver.
 */
import { AnchorSyncError, isAnchorSyncError, type JsonValue, type StorageDriver } from '@anchorsync/core';
import { expect } from 'vitest';
import { deriveEncryptedStorageKey } from '../src/keys.ts';
import type { EncryptedStorageKey } from '../src/index.ts';

/** 32 bytes filled with `n`: distinct, readable, reproducible master keys. */
export const testBytes = (n: number) => new Uint8Array(32).fill(n);

/** The key derived from `testBytes(n)`: the same `n` always reads the same store. */
export const testKey = (n: number): Promise<EncryptedStorageKey> => deriveEncryptedStorageKey(testBytes(n));

/** Everything the provider holds: inner key -> JSON text of the stored value. */
export async function dump(inner: StorageDriver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await inner.list('')) out[key] = JSON.stringify(await inner.get(key));
  return out;
}

/** The one inner key holding a value (fails the test unless there is exactly one new one). */
export async function onlyNewKey(inner: StorageDriver, before: Record<string, string>): Promise<string> {
  const added = Object.keys(await dump(inner)).filter((k) => !(k in before));
  expect(added).toHaveLength(1);
  return added[0]!;
}

/** Asserts `promise` rejects with an AnchorSyncError carrying `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<AnchorSyncError> {
  let error: unknown;
  try {
    const value = await promise;
    throw new Error(`expected ${code}, got a value: ${JSON.stringify(value)?.slice(0, 100)}`);
  } catch (e) {
    error = e;
  }
  if (!isAnchorSyncError(error)) throw error;
  expect(error.code).toBe(code);
  return error;
}

/**
 * Wraps a real driver and fails its `failAt`-th write (set or delete, counted
 * from 1) with a plain Error, as a crash or a dropped connection would; the
 * write does not happen. Only this fault needs a wrapper: it cannot be
 * caused on a memory store otherwise.
 */
export function failingWrites(inner: StorageDriver, failAt: number): StorageDriver & { writes(): number } {
  let writes = 0;
  const write = async (run: () => Promise<void>) => {
    writes++;
    if (writes === failAt) throw new Error(`injected failure at write ${failAt}`);
    await run();
  };
  return {
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    set: (key, value: JsonValue) => write(() => inner.set(key, value)),
    delete: (key) => write(() => inner.delete(key)),
    writes: () => writes,
  };
}
