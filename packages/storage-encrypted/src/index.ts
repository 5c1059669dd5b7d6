/**
 * @anchorsync/storage-encrypted: wraps any StorageDriver so the storage
 * provider sees neither values nor key names (organisation ids, kids,
 * namespaces). Values are XChaCha20-Poly1305 envelopes bound to their key;
 * names are HMAC-blinded segment by segment, so `list(prefix)` still works.
 * WebCrypto-free (@noble/ciphers, @noble/hashes); the one platform call is
 * `crypto.getRandomValues`, and a RandomSource can be passed instead.
 */
export {
  encryptedStorage,
  type EncryptedStorage,
  type EncryptedStorageOptions,
} from './encrypted-storage.ts';
export type { RotateOptions, RotationReport } from './rotate.ts';
export { MASTER_KEY_BYTES } from './keyring.ts';
export { ENVELOPE_VERSION } from './envelope.ts';
