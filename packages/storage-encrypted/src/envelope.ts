/**
 * The stored envelope, `{ v: 1, n, c }`: XChaCha20-Poly1305 over the JSON
 * text of `{ k, v, s? }` (real key name, value, optional write counter).
 * The associated data is the format version and the inner (blinded) name,
 * so a value moved to another key fails authentication. The blinded name is
 * a keyed hash of the real name, and the real name inside is checked against
 * it, so binding one binds the other.
 */
import { AnchorSyncError, b64uToBytes, bytesToB64u, utf8, type JsonValue, type RandomSource } from '@anchorsync/core';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { blindName, type Keyring } from './keyring.ts';

export const ENVELOPE_VERSION = 1;
const NONCE_BYTES = 24;
const AD_PREFIX = 'anchorsync/storage-encrypted\nv1\n';

/** What an envelope holds once opened. */
export interface Sealed {
  /** The real key name. */
  k: string;
  v: JsonValue;
  /** Per-key write counter, present when the session rollback check wrote it. */
  s?: number;
}

let decoder: { decode(input: Uint8Array): string } | undefined;

function corrupt(message: string, innerName: string, cause?: unknown): AnchorSyncError {
  return new AnchorSyncError('ERR_STORAGE_CORRUPT', `encrypted storage: ${message}`, { cause, details: { innerKey: innerName } });
}

export function tampered(message: string, innerName: string, cause?: unknown): AnchorSyncError {
  return new AnchorSyncError('ERR_STORAGE_TAMPERED', `encrypted storage: ${message}`, { cause, details: { innerKey: innerName } });
}

/**
 * A nonce hedged against a weak RandomSource: HMAC of 32 random bytes, the
 * inner name and the plaintext. With a good source it is as random as the
 * source; with a broken one (constant bytes) two different values still get
 * different nonces, so XChaCha20 never reuses a keystream for them.
 */
function hedgedNonce(ring: Keyring, random: RandomSource, innerName: string, plaintext: Uint8Array): Uint8Array {
  const seed = random(32);
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'RandomSource must return 32 bytes');
  }
  const mac = hmac.create(sha256, ring.nonceKey).update(seed).update(utf8(innerName)).update(new Uint8Array(1)).update(plaintext);
  return mac.digest().slice(0, NONCE_BYTES);
}

/**
 * The JSON text of a value, taken when `set` is called so later changes to
 * the caller's object cannot reach the store.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` when the value is not JSON-compatible.
 */
export function valueText(value: JsonValue): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value is not JSON-compatible', { cause });
  }
  // undefined, a function or a symbol has no JSON text.
  if (typeof text !== 'string') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value is not JSON-compatible');
  return text;
}

/** Encrypts the real name `k`, counter `s` and value text for the inner name `innerName`. */
export function seal(ring: Keyring, innerName: string, k: string, s: number | undefined, value: string, random: RandomSource): JsonValue {
  // Composed rather than re-stringified, so a large value is serialised once.
  const plaintext = utf8(`{"k":${JSON.stringify(k)},${s === undefined ? '' : `"s":${s},`}"v":${value}}`);
  const nonce = hedgedNonce(ring, random, innerName, plaintext);
  const ciphertext = xchacha20poly1305(ring.encKey, nonce, utf8(AD_PREFIX + innerName)).encrypt(plaintext);
  return { v: ENVELOPE_VERSION, n: bytesToB64u(nonce), c: bytesToB64u(ciphertext) };
}

function parseEnvelope(stored: unknown, innerName: string): { nonce: Uint8Array; ciphertext: Uint8Array } {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) throw corrupt('stored value is not an envelope', innerName);
  const env = stored as Record<string, unknown>;
  const members = Object.keys(env).sort().join(',');
  if (members !== 'c,n,v') throw corrupt('stored envelope has other members than v, n, c', innerName);
  if (env.v !== ENVELOPE_VERSION) throw corrupt(`stored envelope has unknown version ${JSON.stringify(env.v)}`, innerName);
  const nonce = typeof env.n === 'string' ? b64uToBytes(env.n) : undefined;
  if (!nonce || nonce.length !== NONCE_BYTES) throw corrupt('stored envelope nonce is not 24 bytes of base64url', innerName);
  const ciphertext = typeof env.c === 'string' ? b64uToBytes(env.c) : undefined;
  if (!ciphertext) throw corrupt('stored envelope ciphertext is not base64url', innerName);
  return { nonce, ciphertext };
}

function parseSealed(plaintext: Uint8Array, innerName: string): Sealed {
  let parsed: unknown;
  try {
    decoder ??= new TextDecoder('utf-8', { fatal: true });
    parsed = JSON.parse(decoder.decode(plaintext));
  } catch (cause) {
    throw corrupt('decrypted value is not JSON', innerName, cause);
  }
  const p = parsed as Record<string, unknown> | null;
  const ok =
    typeof p === 'object' && p !== null && !Array.isArray(p) && typeof p.k === 'string' && 'v' in p &&
    Object.keys(p).every((m) => m === 'k' || m === 'v' || m === 's') &&
    (p.s === undefined || (Number.isSafeInteger(p.s) && (p.s as number) >= 0));
  if (!ok) throw corrupt('decrypted value is not { k, v, s? }', innerName);
  return p as unknown as Sealed;
}

/**
 * Authenticates and decrypts what the inner store holds at `innerName`.
 * `expectName`, when given, is the real name the caller asked for.
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_CORRUPT` when `stored` is not a v1
 * envelope (junk, unknown version, bad base64url, a nonce that is not 24
 * bytes); `ERR_STORAGE_TAMPERED` when a well-formed envelope fails
 * authentication (altered, truncated, moved, wrong key) or names another key.
 */
export function open(ring: Keyring, innerName: string, stored: unknown, expectName?: string): Sealed {
  const { nonce, ciphertext } = parseEnvelope(stored, innerName);
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(ring.encKey, nonce, utf8(AD_PREFIX + innerName)).decrypt(ciphertext);
  } catch (cause) {
    throw tampered('stored value failed authentication (altered, truncated, moved to another key, or another key)', innerName, cause);
  }
  const sealed = parseSealed(plaintext, innerName);
  // Only a blinding collision (2^-128 per pair) or a forger holding the key gets here.
  if (blindName(ring, sealed.k) !== innerName || (expectName !== undefined && sealed.k !== expectName)) {
    throw tampered('stored value names another key', innerName);
  }
  return sealed;
}
