/**
 * One 32-byte master key becomes independent sub-keys through HKDF-SHA256
 * (RFC 5869): one encrypts values, one blinds key names, one hedges nonces,
 * and a public tag names the key's namespace in the inner store.
 */
import { AnchorSyncError, bytesToB64u, utf8 } from '@anchorsync/core';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** Master keys are 256 bits: XChaCha20 keys are, and HKDF keeps no more than it gets. */
export const MASTER_KEY_BYTES = 32;

/**
 * A blinded segment keeps 128 bits of HMAC-SHA256: two names colliding in
 * one store is a 2^-64 event even after 2^32 names, and a collision is
 * still caught, because the envelope carries the real name.
 */
const SEGMENT_BYTES = 16;

/** 64 bits: enough to tell a handful of keys apart; it is public, like a fingerprint. */
const TAG_BYTES = 8;

const SALT = 'anchorsync/storage-encrypted/v1';

export interface Keyring {
  /** Inner-name namespace of this key: `e1` + base64url fingerprint. Not secret. */
  readonly tag: string;
  readonly encKey: Uint8Array;
  readonly blindKey: Uint8Array;
  readonly nonceKey: Uint8Array;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array');
}

function subKey(master: Uint8Array, purpose: string, length: number): Uint8Array {
  return hkdf(sha256, master, utf8(SALT), utf8(purpose), length);
}

/**
 * Derives the sub-keys of a master key.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` unless `master` is 32 bytes.
 */
export function deriveKeyring(master: unknown, what = 'key'): Keyring {
  if (!isBytes(master) || master.length !== MASTER_KEY_BYTES) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be a Uint8Array of ${MASTER_KEY_BYTES} bytes`);
  }
  return {
    tag: `e1${bytesToB64u(subKey(master, 'tag', TAG_BYTES))}`,
    encKey: subKey(master, 'encrypt values', 32),
    blindKey: subKey(master, 'blind key names', 32),
    nonceKey: subKey(master, 'hedge nonces', 32),
  };
}

/**
 * Blinds every `:`-separated segment of `segments` under this keyring.
 * Segment i is the HMAC of the whole path up to and including it, so equal
 * segments in different places (an org id under `anchors:` and under
 * `packs:`) do not blind alike, while a shared path still shares a prefix,
 * which is what `list(prefix)` needs.
 */
function blindSegments(ring: Keyring, segments: string[]): string {
  const out = [ring.tag];
  for (let i = 0; i < segments.length; i++) {
    // The path text is an injective encoding: segments contain no ':'.
    const path = segments.slice(0, i + 1).join(':');
    out.push(bytesToB64u(hmac(sha256, ring.blindKey, utf8(path)).subarray(0, SEGMENT_BYTES)));
  }
  return out.join(':');
}

/** The inner (blinded) name of a real key name. */
export function blindName(ring: Keyring, name: string): string {
  return blindSegments(ring, name.split(':'));
}

/**
 * The inner prefix for a real prefix. Only a prefix that ends at a segment
 * boundary (`''` or ending in `:`) can be blinded; every prefix the SDK
 * lists by does (`storageKeys.*Prefix`).
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for any other prefix.
 */
export function blindPrefix(ring: Keyring, prefix: string): string {
  if (prefix === '') return `${ring.tag}:`;
  if (!prefix.endsWith(':')) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'encrypted storage can only list by a prefix that is empty or ends with ":"');
  }
  return `${blindSegments(ring, prefix.slice(0, -1).split(':'))}:`;
}
