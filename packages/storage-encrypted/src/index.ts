/**
 * @anchorsync/storage-encrypted: wraps any StorageDriver so the storage
 * provider sees neither values nor key names (organisation ids, kids,
 * namespaces). Values are AES-256-GCM envelopes bound to their key; names
 * are HMAC-SHA-256-blinded segment by segment, so `list(prefix)` still
 * works. All cipher work is WebCrypto (`crypto.subtle`): no cipher code
 * ships, and the key is a pair of CryptoKeys that can be non-extractable.
 * Make the key with `@anchorsync/storage-encrypted/keys`.
 */
export {
  encryptedStorage,
  type EncryptedStorage,
  type EncryptedStorageOptions,
} from './encrypted-storage.ts';
export type { RotateOptions, RotationReport } from './rotate.ts';
export type { EncryptedStorageKey } from './web-crypto.ts';
export { ENVELOPE_VERSION } from './envelope.ts';
