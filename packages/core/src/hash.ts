/**
 * Hashes of pack bytes. SHA-512/256 shares its code with the SHA-512 that
 * Ed25519 already needs, so it costs no extra bytes. An injected
 * `CryptoProvider` with a native SHA-512/256 takes over when given.
 */
import { checkDigest, type CryptoProvider } from './crypto-provider.ts';
import { bytesToB64u } from './encoding.ts';
import { sha512_256 } from '@noble/hashes/sha2.js';

/** base64url SHA-512/256 of `bytes`. */
export function hashB64u(bytes: Uint8Array): string;
/** The same through `crypto` when it hashes SHA-512/256 (a Promise if it answers with one). */
export function hashB64u(bytes: Uint8Array, crypto: CryptoProvider | undefined): string | Promise<string>;
export function hashB64u(bytes: Uint8Array, crypto?: CryptoProvider): string | Promise<string> {
  if (!crypto?.sha512_256) return bytesToB64u(sha512_256(bytes));
  const encode = (digest: unknown): string => bytesToB64u(checkDigest(digest, 32, 'sha512_256'));
  const out = crypto.sha512_256(bytes);
  return out instanceof Uint8Array ? encode(out) : Promise.resolve(out).then(encode);
}
