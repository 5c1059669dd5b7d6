/**
 * Hashes of pack bytes. SHA-512/256 shares its code with the SHA-512 that
 * Ed25519 already needs, so it costs no extra bytes.
 */
import { sha512_256 } from '@noble/hashes/sha2.js';
import { bytesToB64u } from './encoding.ts';

/** base64url SHA-512/256 of `bytes`. */
export function hashB64u(bytes: Uint8Array): string {
  return bytesToB64u(sha512_256(bytes));
}
