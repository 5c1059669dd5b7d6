/**
 * The pack hash: SHA-256 of a pack's signing bytes, computed once per pack.
 * It names the pack in `prev` and in sync state, and it is what a pack
 * signature covers (canonical.ts), so verifying and chaining a pack cost one
 * pass over its bytes. SHA-256 rather than SHA-512/256: in plain JavaScript
 * its 32-bit arithmetic runs about twice as fast, and WebCrypto has it (it
 * has no SHA-512/256), so a platform provider can take it over everywhere.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { checkDigest, providerError, type CryptoProvider } from './crypto-provider.ts';

/** SHA-256 of `bytes`, in JS. */
export function packDigest(bytes: Uint8Array): Uint8Array;
/** The same through `crypto` when given (a Promise if it answers with one). */
export function packDigest(bytes: Uint8Array, crypto: CryptoProvider | undefined): Uint8Array | Promise<Uint8Array>;
export function packDigest(bytes: Uint8Array, crypto?: CryptoProvider): Uint8Array | Promise<Uint8Array> {
  if (!crypto) return sha256(bytes);
  let out: Uint8Array | Promise<Uint8Array>;
  try {
    out = crypto.sha256(bytes);
  } catch (error) {
    throw providerError(error);
  }
  return out instanceof Uint8Array ? checkDigest(out) : Promise.resolve(out).then(checkDigest, (error: unknown) => Promise.reject(providerError(error)));
}
