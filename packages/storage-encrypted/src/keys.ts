/**
 * @anchorsync/storage-encrypted/keys: makes the key `encryptedStorage`
 * takes, once, at setup: a new one inside WebCrypto, or one derived from 32
 * bytes you already keep (a secret binding, a KMS). Both are
 * non-extractable.
 */
import { utf8 } from '@anchorsync/core';
import { invalid, NAMES, VALUES, webCrypto, type EncryptedStorageKey, type KeyKind } from './web-crypto.ts';

export type { EncryptedStorageKey } from './web-crypto.ts';

/** A Uint8Array, also one made in another realm (an iframe, a vm context). */
function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array');
}

/** Raw master keys are 256 bits, as the AES and HMAC keys made from them are. */
export const MASTER_KEY_BYTES = 32;

/**
 * A new random key, made inside WebCrypto and non-extractable: its bytes
 * never exist in script. Keep it where it is used (IndexedDB stores
 * CryptoKeys as they are); it cannot be exported or backed up, so a lost
 * key is a lost store (a synced trust store can be synced again).
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` without WebCrypto.
 * @example
 * ```ts
 * const key = (await idbGet('trust-key')) ?? (await generateEncryptedStorageKey())
 * const storage = encryptedStorage(idbStorage(), { key })
 * ```
 */
export async function generateEncryptedStorageKey(): Promise<EncryptedStorageKey> {
  const subtle = webCrypto();
  const make = ([algorithm, usages]: KeyKind) => subtle.generateKey(algorithm, false, usages);
  return { values: await make(VALUES), names: await make(NAMES) };
}

/**
 * The non-extractable key for 32 secret bytes: HKDF-SHA-256 (RFC 5869)
 * gives one sub-key per purpose. The same bytes always give a key that reads
 * the same store, so the bytes can live in a secret store or a backup. The
 * bytes are copied when this is called; wipe or drop yours afterwards.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` unless `master` is 32 bytes, or without WebCrypto.
 * @example
 * ```ts
 * const key = await deriveEncryptedStorageKey(b64uToBytes(env.STORAGE_KEY)!)
 * const storage = encryptedStorage(kvStorage(env.ANCHORS), { key })
 * ```
 */
export async function deriveEncryptedStorageKey(master: Uint8Array): Promise<EncryptedStorageKey> {
  const subtle = webCrypto();
  if (!isBytes(master) || master.length !== MASTER_KEY_BYTES) throw invalid(`master must be a Uint8Array of ${MASTER_KEY_BYTES} bytes`);
  const base = await subtle.importKey('raw', master, 'HKDF', false, ['deriveKey']);
  // RFC 5869 §3.1: with a uniformly random master, an empty salt is fine; `info` separates the purposes.
  const derive = ([algorithm, usages]: KeyKind, purpose: string) =>
    subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: utf8(`anchorsync/storage-encrypted/v2 ${purpose}`) }, base, algorithm, false, usages);
  return { values: await derive(VALUES, 'values'), names: await derive(NAMES, 'names') };
}
