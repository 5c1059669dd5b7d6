/**
 * Ed25519 through @noble/ed25519 with @noble/hashes SHA-512: no WebCrypto,
 * no platform crypto. Verification is strict RFC 8032 (`zip215: false`):
 * canonical S and point encodings; small-order public keys are refused here
 * too. It never throws on malformed input.
 */
import { getPublicKey, hashes, Point, sign, verify } from '@noble/ed25519';
import { AnchorSyncError } from './errors.ts';
import { sha512 } from '@noble/hashes/sha2.js';

/**
 * Strict mode, stated rather than inherited: noble's default is ZIP215,
 * which accepts non-canonical encodings (Wycheproof tc 151) that RFC 8032
 * rejects. DESIGN.md rule 2 asks for strict.
 */
const VERIFY_OPTIONS = { zip215: false } as const;

/** A source of cryptographically secure random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** Why `ed25519Verify` said no. */
export type VerifyRejection = 'BAD_LENGTH' | 'BAD_KEY' | 'WEAK_KEY' | 'BAD_SIGNATURE';

export type VerifyOutcome = { ok: true } | { ok: false; reason: VerifyRejection };

export interface Ed25519KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Uint8Array check that also accepts bytes made in another realm (an iframe, a vm context). */
function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array');
}

// Wired on first use, not at import, so the module has no side effects.
// Named imports (not `import * as`) let bundlers drop signing from verify-only code.
function ready(): void {
  if (hashes.sha512 !== sha512) hashes.sha512 = sha512;
}

/** `crypto.getRandomValues`, the one platform call core makes (never the WebCrypto subtle API). */
export const defaultRandom: RandomSource = (length) => {
  const source = (globalThis as { crypto?: { getRandomValues?: <T extends Uint8Array>(a: T) => T } }).crypto;
  if (typeof source?.getRandomValues !== 'function') {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'no crypto.getRandomValues here: pass a RandomSource');
  }
  return source.getRandomValues(new Uint8Array(length));
};

/**
 * Makes a key pair from 32 random bytes of `random`.
 *
 * @example
 * ```ts
 * const { secretKey, publicKey } = generateKeyPair()
 * ```
 */
export function generateKeyPair(random: RandomSource = defaultRandom): Ed25519KeyPair {
  const secretKey = random(32);
  if (!isBytes(secretKey) || secretKey.length !== 32) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'RandomSource must return 32 bytes');
  }
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}

/** The public key of a 32-byte secret key (seed). */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'secret key must be 32 bytes');
  ready();
  return getPublicKey(secretKey);
}

/**
 * Signs `message` (RFC 8032, deterministic).
 *
 * @example
 * ```ts
 * const sig = ed25519Sign(utf8('hello'), secretKey)
 * ```
 */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'secret key must be 32 bytes');
  ready();
  return sign(message, secretKey);
}

/**
 * Strict verification that reports why it failed and never throws.
 *
 * @example
 * ```ts
 * const r = ed25519VerifyDetailed(sig, msg, pub)
 * if (!r.ok) console.log(r.reason) // 'BAD_SIGNATURE'
 * ```
 */
export function ed25519VerifyDetailed(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): VerifyOutcome {
  // noble throws RangeError on wrong lengths; answer instead.
  if (!isBytes(signature) || signature.length !== 64) return { ok: false, reason: 'BAD_LENGTH' };
  if (!isBytes(publicKey) || publicKey.length !== 32) return { ok: false, reason: 'BAD_LENGTH' };
  if (!isBytes(message)) return { ok: false, reason: 'BAD_LENGTH' };
  ready();
  let point: Point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return { ok: false, reason: 'BAD_KEY' };
  }
  // A small-order key verifies signatures over many messages; no real signer has one.
  if (point.isSmallOrder()) return { ok: false, reason: 'WEAK_KEY' };
  try {
    return verify(signature, message, publicKey, VERIFY_OPTIONS) ? { ok: true } : { ok: false, reason: 'BAD_SIGNATURE' };
  } catch {
    return { ok: false, reason: 'BAD_SIGNATURE' };
  }
}

/** Strict verification as a boolean; never throws. */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519VerifyDetailed(signature, message, publicKey).ok;
}

/** True when `bytes` is a canonical, on-curve Ed25519 public key that is not of small order. */
export function isValidPublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  try {
    return !Point.fromBytes(bytes, false).isSmallOrder();
  } catch {
    return false;
  }
}
