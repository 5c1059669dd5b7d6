// `@anchorsync/storage-encrypted/keys`: a generated key is non-extractable
// from birth; a derived key is non-extractable, the same for the same bytes
// and independent of the caller's array once made; bad input is typed.
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { deriveEncryptedStorageKey, generateEncryptedStorageKey, MASTER_KEY_BYTES } from '../src/keys.ts';
import { expectCode, testBytes } from './helpers.ts';

describe('generateEncryptedStorageKey', () => {
  it('makes a non-extractable AES-256-GCM key and HMAC-SHA-256 key', async () => {
    const { values, names } = await generateEncryptedStorageKey();
    expect(values).toMatchObject({ type: 'secret', extractable: false, algorithm: { name: 'AES-GCM', length: 256 } });
    expect(values.usages.sort()).toEqual(['decrypt', 'encrypt']);
    expect(names).toMatchObject({ type: 'secret', extractable: false, algorithm: { name: 'HMAC', hash: { name: 'SHA-256' }, length: 256 } });
    expect(names.usages).toEqual(['sign']);
  });

  it('makes a new key each time: one key never reads what another wrote', async () => {
    const inner = memoryStorage();
    const first = encryptedStorage(inner, { key: await generateEncryptedStorageKey() });
    await first.set('fed:a', 1);
    const second = encryptedStorage(inner, { key: await generateEncryptedStorageKey() });
    expect(await second.list('')).toEqual([]);
    expect(await second.get('fed:a')).toBeUndefined();
  });
});

describe('deriveEncryptedStorageKey', () => {
  it('gives non-extractable keys, and the same bytes always give a key that reads the same store', async () => {
    const inner = memoryStorage();
    const key = await deriveEncryptedStorageKey(testBytes(1));
    expect([key.values.extractable, key.names.extractable]).toEqual([false, false]);
    await encryptedStorage(inner, { key }).set('fed:a', { v: 1 });
    expect(await encryptedStorage(inner, { key: await deriveEncryptedStorageKey(testBytes(1)) }).get('fed:a')).toEqual({ v: 1 });
    expect(await encryptedStorage(inner, { key: await deriveEncryptedStorageKey(testBytes(2)) }).list('')).toEqual([]);
  });

  it('copies the bytes when called: wiping them right after changes nothing', async () => {
    const inner = memoryStorage();
    const bytes = testBytes(1);
    const pending = deriveEncryptedStorageKey(bytes);
    bytes.fill(0);
    await encryptedStorage(inner, { key: await pending }).set('fed:a', 1);
    expect(await encryptedStorage(inner, { key: await deriveEncryptedStorageKey(testBytes(1)) }).get('fed:a')).toBe(1);
  });

  it(`refuses anything but a Uint8Array of ${MASTER_KEY_BYTES} bytes with ERR_INVALID_ARGUMENT`, async () => {
    const bad: unknown[] = [undefined, null, new Uint8Array(31), new Uint8Array(33), 'a'.repeat(32), Array.from({ length: 32 }, () => 1), new Uint16Array(16)];
    for (const master of bad) await expectCode(deriveEncryptedStorageKey(master as Uint8Array), 'ERR_INVALID_ARGUMENT');
  });
});
