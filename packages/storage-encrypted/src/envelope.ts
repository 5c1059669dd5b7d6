/**
 * The stored envelope, `{ v: 2, n, c }`: AES-256-GCM over the JSON text of
 * `{ k, v }` (real key name, value), with the 96-bit IV in `n` and the
 * 128-bit tag at the end of `c`. The associated data is the format version
 * and the inner (blinded) name, so a value moved to another key fails
 * authentication. The blinded name is a keyed hash of the real name, and the
 * real name inside is checked against it, so binding one binds the other.
 */
import { AnchorSyncError, b64uToBytes, bytesToB64u, utf8, type JsonValue, type RandomSource } from '@anchorsync/core';
import { blind, mac, type Keyring } from './keyring.ts';
import { invalid, webCrypto } from './web-crypto.ts';

/** Version 1 was XChaCha20-Poly1305 with 24-byte nonces; it is refused (`ERR_STORAGE_CORRUPT`), never read as v2. */
export const ENVELOPE_VERSION = 2;

/**
 * AES-GCM's standard 96-bit IV, random per write. NIST SP 800-38D allows
 * 2^32 encryptions per key with random IVs (an IV repeat is then about a
 * 2^-33 event); a repeat would expose the two values and allow forgeries.
 * Rotate the key long before 2^32 writes.
 */
const IV_BYTES = 12;

const AD_PREFIX = 'anchorsync/storage-encrypted\nv2\n';

/** What an envelope holds once opened. */
export interface Sealed {
  /** The real key name. */
  k: string;
  v: JsonValue;
}

let decoder: { decode(input: Uint8Array): string } | undefined;

/** The typed refusal of what the inner store holds at `innerName`. */
export function refused(code: 'ERR_STORAGE_CORRUPT' | 'ERR_STORAGE_TAMPERED', message: string, innerName: string, cause?: unknown): AnchorSyncError {
  return new AnchorSyncError(code, `encrypted storage: ${message}`, { cause, details: { innerKey: innerName } });
}

const gcm = (iv: Uint8Array, innerName: string) => ({ name: 'AES-GCM', iv, additionalData: utf8(AD_PREFIX + innerName) });

/**
 * The JSON text of a value, taken when `set` is called so later changes to
 * the caller's object cannot reach the store.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` when the value is not JSON-compatible.
 */
export function valueText(value: JsonValue): string {
  let text: string | undefined;
  let cause: unknown;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    cause = e; // cyclic, or a BigInt
  }
  // undefined, a function or a symbol has no JSON text.
  if (typeof text !== 'string') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value is not JSON-compatible', { cause });
  return text;
}

/** Encrypts the real name `k` and a value's JSON text for the inner name `innerName`. */
export async function seal(ring: Keyring, innerName: string, k: string, value: string, random: RandomSource): Promise<{ v: number; n: string; c: string }> {
  // The IV is hedged against a weak RandomSource: the HMAC of `i`, 32
  // random bytes, the inner name, a NUL (inner names have none) and the
  // plaintext. With a good source it is as random as the source; with a
  // broken one (constant bytes) two different values still get different IVs.
  const seed = random(32);
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw invalid('random did not return 32 bytes');
  // ASCII only, so its UTF-8 is exactly as long as it is.
  const head = `i${bytesToB64u(seed)}${innerName}\0`;
  // The plaintext `{ k, v }` is composed rather than re-stringified, so a large value is serialised once.
  const data = utf8(`${head}{"k":${JSON.stringify(k)},"v":${value}}`);
  const iv = await mac(ring, data, IV_BYTES);
  const ciphertext = await webCrypto().encrypt(gcm(iv, innerName), ring.values, data.subarray(head.length));
  return { v: ENVELOPE_VERSION, n: bytesToB64u(iv), c: bytesToB64u(new Uint8Array(ciphertext)) };
}

/**
 * Authenticates and decrypts what the inner store holds at `innerName`.
 * `expectName`, when given, is the real name the caller asked for.
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_CORRUPT` when `stored` is not a v2
 * envelope (junk, another version such as v1, other members, bad base64url,
 * an IV that is not 12 bytes); `ERR_STORAGE_TAMPERED` when a well-formed
 * envelope fails authentication (altered, truncated, moved, wrong key) or
 * names another key.
 */
export async function open(ring: Keyring, innerName: string, stored: unknown, expectName?: string): Promise<Sealed> {
  const env = (stored ?? 0) as Record<string, unknown>;
  if (env.v !== ENVELOPE_VERSION) throw refused('ERR_STORAGE_CORRUPT', `not a v2 envelope (v: ${JSON.stringify(env.v)})`, innerName);
  const iv = typeof env.n === 'string' ? b64uToBytes(env.n) : undefined;
  const ciphertext = typeof env.c === 'string' ? b64uToBytes(env.c) : undefined;
  if (Object.keys(env).length !== 3 || iv?.length !== IV_BYTES || !ciphertext) throw refused('ERR_STORAGE_CORRUPT', 'malformed envelope', innerName);
  const subtle = webCrypto();
  let plaintext: ArrayBuffer;
  try {
    plaintext = await subtle.decrypt(gcm(iv, innerName), ring.values, ciphertext);
  } catch (cause) {
    throw refused('ERR_STORAGE_TAMPERED', 'value failed authentication', innerName, cause);
  }
  let sealed: Sealed | undefined;
  try {
    sealed = JSON.parse((decoder ??= new TextDecoder()).decode(new Uint8Array(plaintext))) as Sealed;
  } catch {
    // refused below
  }
  // Only a holder of the key can get here with anything but what seal() wrote.
  if (typeof sealed?.k !== 'string' || !('v' in sealed)) throw refused('ERR_STORAGE_CORRUPT', 'decrypted value is not { k, v }', innerName);
  // Only a blinding collision (2^-128 per pair) or a key holder writing at another name gets past this.
  if ((await blind(ring, sealed.k)) !== innerName || (expectName !== undefined && sealed.k !== expectName)) {
    throw refused('ERR_STORAGE_TAMPERED', 'value names another key', innerName);
  }
  return sealed;
}
