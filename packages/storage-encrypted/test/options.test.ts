// Bad input gets a typed AnchorSyncError and changes nothing stored; inner
// failures surface as ERR_STORAGE; IVs are random with a good source and
// still unique per value with a broken one; without WebCrypto every entry
// point refuses with a typed error.
import { AnchorSyncError, b64uToBytes, type JsonValue, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { deriveEncryptedStorageKey, generateEncryptedStorageKey } from '../src/keys.ts';
import { dump, expectCode, testBytes, testKey } from './helpers.ts';

const invalid = expect.objectContaining({ name: 'AnchorSyncError', code: 'ERR_INVALID_ARGUMENT' });

describe('options and arguments', () => {
  it('refuses anything but an EncryptedStorageKey: raw bytes, wrong algorithms, lengths, hashes or usages', async () => {
    const inner = memoryStorage();
    const key = await testKey(1);
    const subtle = crypto.subtle;
    const aes = (length: number, usages: KeyUsage[]) => subtle.generateKey({ name: 'AES-GCM', length }, false, usages) as Promise<CryptoKey>;
    const hmac = (hash: string, length: number, usages: KeyUsage[]) => subtle.generateKey({ name: 'HMAC', hash, length }, false, usages) as Promise<CryptoKey>;
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { key: testBytes(1) },
      { key: 'a'.repeat(32) },
      { key: { values: key.values } },
      { key: { values: key.names, names: key.values } },
      { key: { values: await aes(128, ['encrypt', 'decrypt']), names: key.names } },
      { key: { values: await aes(256, ['encrypt']), names: key.names } },
      { key: { values: (await subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt', 'decrypt'])) as CryptoKey, names: key.names } },
      { key: { values: key.values, names: await hmac('SHA-1', 256, ['sign']) } },
      { key: { values: key.values, names: await hmac('SHA-256', 128, ['sign']) } },
      { key: { values: key.values, names: await hmac('SHA-256', 256, ['verify']) } },
      { key, previousKeys: await testKey(2) },
      { key, previousKeys: [testBytes(2)] },
      { key, random: 'not a function' },
    ];
    for (const options of bad) {
      expect(() => encryptedStorage(inner, options as never), JSON.stringify(options)).toThrow(invalid);
    }
  });

  it('accepts non-extractable keys: the wrapper uses them, and nothing can read them out', async () => {
    const inner = memoryStorage();
    const key = await generateEncryptedStorageKey();
    expect([key.values.extractable, key.names.extractable]).toEqual([false, false]);
    const storage = encryptedStorage(inner, { key });
    await storage.set('fed:a', { secret: 1 });
    expect(await storage.get('fed:a')).toEqual({ secret: 1 });
    for (const k of [key.values, key.names]) await expect(crypto.subtle.exportKey('raw', k)).rejects.toThrow();
  });

  it('refuses key names that are not strings and values that are not JSON, storing nothing', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1) });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [undefined, 10n, cyclic, () => 1]) await expectCode(storage.set('fed:a', value as JsonValue), 'ERR_INVALID_ARGUMENT');
    for (const name of [1, null, undefined, ['fed:a']]) {
      await expectCode(storage.set(name as unknown as string, 1), 'ERR_INVALID_ARGUMENT');
      await expectCode(storage.get(name as unknown as string), 'ERR_INVALID_ARGUMENT');
      await expectCode(storage.delete(name as unknown as string), 'ERR_INVALID_ARGUMENT');
    }
    expect(await dump(inner)).toEqual({});
  });

  it('stores the value as it was when set was called, even if the caller changes it while the write waits', async () => {
    const storage = encryptedStorage(memoryStorage(), { key: await testKey(1), sessionRollbackCheck: true });
    const value = { list: [1] };
    const pending = Promise.all([storage.get('fed:a'), storage.set('fed:a', value)]);
    value.list.push(2);
    await pending;
    expect(await storage.get('fed:a')).toEqual({ list: [1] });
  });

  it('refuses a RandomSource that returns the wrong number of bytes, storing nothing', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1), random: (n) => new Uint8Array(n - 1) });
    await expectCode(storage.set('fed:a', 1), 'ERR_INVALID_ARGUMENT');
    expect(await dump(inner)).toEqual({});
  });

  it('turns an inner failure into ERR_STORAGE with the cause, and passes typed inner errors through', async () => {
    const cause = new Error('disk on fire');
    const failing: StorageDriver = {
      get: () => Promise.reject(cause),
      set: () => Promise.reject(new AnchorSyncError('ERR_STORAGE_LIMIT', 'too big')),
      delete: () => Promise.reject(cause),
      list: () => Promise.reject(cause),
    };
    const storage = encryptedStorage(failing, { key: await testKey(1) });
    expect((await expectCode(storage.get('fed:a'), 'ERR_STORAGE')).cause).toBe(cause);
    await expectCode(storage.delete('fed:a'), 'ERR_STORAGE');
    await expectCode(storage.list('fed:'), 'ERR_STORAGE');
    await expectCode(storage.set('fed:a', 1), 'ERR_STORAGE_LIMIT');
  });
});

describe('IVs', () => {
  const ivOf = async (inner: StorageDriver) => (await inner.get((await inner.list(''))[0]!)) as { n: string; c: string };

  it('with the default source, writing the same value twice gives two different envelopes', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1) });
    await storage.set('fed:a', 'same');
    const first = await ivOf(inner);
    await storage.set('fed:a', 'same');
    const second = await ivOf(inner);
    expect(b64uToBytes(first.n)).toHaveLength(12);
    expect(second.n).not.toBe(first.n);
    expect(second.c).not.toBe(first.c);
  });

  it('with a broken source that always returns zeros, different values still get different IVs', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1), random: (n) => new Uint8Array(n) });
    const seen = new Set<string>();
    for (const value of ['a', 'b', { c: 1 }, 1, 2]) {
      await storage.set('fed:a', value);
      seen.add((await ivOf(inner)).n);
      expect(await storage.get('fed:a')).toEqual(value);
    }
    expect(seen.size).toBe(5);
  });
});

describe('without WebCrypto', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'crypto', original);
  });

  it('every entry point refuses with ERR_INVALID_ARGUMENT, and a wrapper made before stores nothing', async () => {
    const inner = memoryStorage();
    const key = await testKey(1);
    const earlier = encryptedStorage(inner, { key });
    await earlier.set('fed:before', 1);
    const before = await dump(inner);
    Reflect.deleteProperty(globalThis, 'crypto');
    expect((globalThis as { crypto?: unknown }).crypto).toBeUndefined();
    expect(() => encryptedStorage(inner, { key })).toThrow(invalid);
    await expectCode(generateEncryptedStorageKey(), 'ERR_INVALID_ARGUMENT');
    await expectCode(deriveEncryptedStorageKey(testBytes(1)), 'ERR_INVALID_ARGUMENT');
    await expectCode(earlier.set('fed:b', 1), 'ERR_INVALID_ARGUMENT');
    await expectCode(earlier.get('fed:before'), 'ERR_INVALID_ARGUMENT');
    expect(await dump(inner)).toEqual(before);
  });
});
