// Bad input gets a typed AnchorSyncError and changes nothing stored; inner
// failures surface as ERR_STORAGE; nonces are random with a good source and
// still unique per value with a broken one; no crypto global is needed when
// a RandomSource is passed.
import { AnchorSyncError, b64uToBytes, type JsonValue, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { dump, expectCode, seededRandom, testKey } from './helpers.ts';

const invalid = expect.objectContaining({ name: 'AnchorSyncError', code: 'ERR_INVALID_ARGUMENT' });

describe('options and arguments', () => {
  it('refuses a master key that is not 32 bytes, previousKeys that are not keys, and a random that is not a function', () => {
    const inner = memoryStorage();
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { key: new Uint8Array(31) },
      { key: new Uint8Array(33) },
      { key: 'a'.repeat(32) },
      { key: Array.from({ length: 32 }, () => 1) },
      { key: testKey(1), previousKeys: testKey(2) },
      { key: testKey(1), previousKeys: [new Uint8Array(16)] },
      { key: testKey(1), random: 'not a function' },
    ];
    for (const options of bad) {
      expect(() => encryptedStorage(inner, options as never), JSON.stringify(options)).toThrow(invalid);
    }
  });

  it('keeps working when the caller later overwrites its key bytes (sub-keys are derived once)', async () => {
    const inner = memoryStorage();
    const key = testKey(1);
    const storage = encryptedStorage(inner, { key });
    await storage.set('fed:a', 1);
    key.fill(0);
    expect(await storage.get('fed:a')).toBe(1);
    expect(await encryptedStorage(inner, { key: testKey(1) }).get('fed:a')).toBe(1);
  });

  it('refuses key names that are not strings and values that are not JSON, storing nothing', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: testKey(1) });
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
    const storage = encryptedStorage(memoryStorage(), { key: testKey(1), sessionRollbackCheck: true });
    const value = { list: [1] };
    const pending = Promise.all([storage.get('fed:a'), storage.set('fed:a', value)]);
    value.list.push(2);
    await pending;
    expect(await storage.get('fed:a')).toEqual({ list: [1] });
  });

  it('refuses a RandomSource that returns the wrong number of bytes, storing nothing', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: testKey(1), random: (n) => new Uint8Array(n - 1) });
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
    const storage = encryptedStorage(failing, { key: testKey(1) });
    expect((await expectCode(storage.get('fed:a'), 'ERR_STORAGE')).cause).toBe(cause);
    await expectCode(storage.delete('fed:a'), 'ERR_STORAGE');
    await expectCode(storage.list('fed:'), 'ERR_STORAGE');
    await expectCode(storage.set('fed:a', 1), 'ERR_STORAGE_LIMIT');
  });
});

describe('nonces', () => {
  const nonceOf = async (inner: StorageDriver) => (await inner.get((await inner.list(''))[0]!)) as { n: string; c: string };

  it('with the default source, writing the same value twice gives two different envelopes', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: testKey(1) });
    await storage.set('fed:a', 'same');
    const first = await nonceOf(inner);
    await storage.set('fed:a', 'same');
    const second = await nonceOf(inner);
    expect(b64uToBytes(first.n)).toHaveLength(24);
    expect(second.n).not.toBe(first.n);
    expect(second.c).not.toBe(first.c);
  });

  it('with a broken source that always returns zeros, different values still get different nonces', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: testKey(1), random: (n) => new Uint8Array(n) });
    const seen = new Set<string>();
    for (const value of ['a', 'b', { c: 1 }, 1, 2]) {
      await storage.set('fed:a', value);
      seen.add((await nonceOf(inner)).n);
      expect(await storage.get('fed:a')).toEqual(value);
    }
    expect(seen.size).toBe(5);
  });
});

describe('without globalThis.crypto', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'crypto', original);
  });

  it('works with an injected RandomSource; with the default one, a write is refused and nothing is stored', async () => {
    const inner = memoryStorage();
    await encryptedStorage(inner, { key: testKey(1) }).set('fed:before', 1);
    Reflect.deleteProperty(globalThis, 'crypto');
    expect((globalThis as { crypto?: unknown }).crypto).toBeUndefined();
    const injected = encryptedStorage(inner, { key: testKey(1), random: seededRandom() });
    await injected.set('fed:a', { ok: true });
    expect(await injected.get('fed:a')).toEqual({ ok: true });
    const fallback = encryptedStorage(inner, { key: testKey(1) });
    const before = await dump(inner);
    await expectCode(fallback.set('fed:b', 1), 'ERR_INVALID_ARGUMENT');
    expect(await dump(inner)).toEqual(before);
    expect(await fallback.get('fed:before')).toBe(1);
    expect(await fallback.list('fed:')).toEqual(['fed:a', 'fed:before']);
  });
});
