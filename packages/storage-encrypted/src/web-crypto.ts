/**
 * The WebCrypto this package uses, and the two kinds of key it takes. A
 * storage key is two secret CryptoKeys: AES-256-GCM for values and
 * HMAC-SHA-256 for names. Both may be non-extractable: script can then use
 * them but never read them.
 *
 * Why two keys and not one non-extractable HKDF key: `deriveKey` may make an
 * extractable key from a non-extractable base, so script holding such a key
 * could read every sub-key it guards.
 */
import { AnchorSyncError } from '@anchorsync/core';

/** What `encryptedStorage` takes as its key. IndexedDB stores it as it is, still non-extractable. */
export interface EncryptedStorageKey {
  /** AES-GCM, 256 bits, usages `encrypt` and `decrypt`: seals values. */
  values: CryptoKey;
  /** HMAC with SHA-256, at least 256 bits, usage `sign`: blinds names, hedges IVs, gives the key's tag. */
  names: CryptoKey;
}

/** The WebCrypto calls this package makes. */
export interface Subtle {
  importKey(format: 'raw', data: Uint8Array, algorithm: string, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  deriveKey(algorithm: object, base: CryptoKey, derived: object, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  generateKey(algorithm: object, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  sign(algorithm: string, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  encrypt(algorithm: object, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: object, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
}

export const invalid = (message: string) => new AnchorSyncError('ERR_INVALID_ARGUMENT', message);

/** `crypto.subtle`: every supported runtime has it; a browser page only in a secure context (https, localhost). */
export function webCrypto(): Subtle {
  const subtle = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (!subtle) throw invalid('crypto.subtle is missing (an insecure context?)');
  return subtle;
}

/**
 * A kind of key: the algorithm to make it with (and the least length a
 * given key may have), and the usages it needs. 256-bit keys for both:
 * AES-256 and an HMAC key as long as SHA-256's output.
 */
export type KeyKind = readonly [algorithm: { name: string; length: number; hash?: string }, usages: string[]];
export const VALUES: KeyKind = [{ name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']];
export const NAMES: KeyKind = [{ name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign']];

/** Is `key` a CryptoKey of this kind: its algorithm and hash, at least its length, all its usages? */
function fits(key: unknown, [{ name, length, hash = 'SHA-256' }, usages]: KeyKind): boolean {
  const k = key as { algorithm?: { name?: string; length?: number; hash?: { name?: string } }; usages?: string[] } | undefined;
  const a = k?.algorithm;
  return a?.name === name && a.length! >= length && (a.hash?.name ?? hash) === hash && usages.every((u) => k!.usages?.includes(u));
}

/**
 * `key`, checked.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` unless it is an EncryptedStorageKey.
 */
export function checkKey(key: unknown, what = 'key'): EncryptedStorageKey {
  const k = key as EncryptedStorageKey | undefined;
  if (fits(k?.values, VALUES) && fits(k?.names, NAMES)) return k!;
  throw invalid(`${what} is not an EncryptedStorageKey`);
}
