/**
 * Canonical signing bytes: RFC 8785 (JCS, through `canonicalize`) of the pack
 * without `sig`, behind a fixed domain prefix. The same pack gives the same
 * bytes on every runtime. Pack bodies inside the v1 schema take a fast path
 * that writes the same bytes (fast-canonical.ts); everything else goes
 * through `canonicalize`.
 */
import canonicalize from 'canonicalize';
import { bytesToB64u, encodeInto, utf8 } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { packBodyJson, validPackBodyJson } from './fast-canonical.ts';
import { packDigest } from './hash.ts';
import { PACK_DOMAIN, PACK_SIGNATURE_DOMAIN } from './limits.ts';
import type { AnchorPack, UnsignedAnchorPack } from './types.ts';

/**
 * RFC 8785 canonical JSON text of a JSON value.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for values JSON cannot
 * represent (NaN, Infinity, lone surrogates, cycles, undefined at the top).
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value has no RFC 8785 form', { cause });
  }
  if (text === undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'value has no JSON form');
  return text;
}

/** The signed part of a pack: every member but `sig`, with `prev` only when set. */
export function unsignedPart(pack: UnsignedAnchorPack | AnchorPack): UnsignedAnchorPack {
  const body: UnsignedAnchorPack = {
    v: pack.v,
    ns: pack.ns,
    orgId: pack.orgId,
    seq: pack.seq,
    issuedAt: pack.issuedAt,
    expiresAt: pack.expiresAt,
    anchors: pack.anchors,
  };
  if (pack.prev !== undefined) body.prev = pack.prev;
  return body;
}

/**
 * A pack's signing bytes: `anchorsync/pack/v1\n` + JCS(pack - sig). Their
 * SHA-256 is the pack hash; signatures cover that hash (`packSignatureMessage`).
 *
 * @example
 * ```ts
 * const bytes = packSigningBytes(pack)
 * ed25519Verify(sigBytes, packSignatureMessage(sha256(bytes)), pubBytes)
 * ```
 */
export function packSigningBytes(pack: UnsignedAnchorPack | AnchorPack): Uint8Array {
  const body = unsignedPart(pack);
  return utf8(PACK_DOMAIN + (packBodyJson(body) ?? canonicalJson(body)));
}

/**
 * `packSigningBytes` of a pack `validatePack` returned and nobody changed
 * since: inside the schema by construction, so it is written by
 * concatenation and `canonicalize` is not needed (verify-only bundles leave
 * it out). Internal.
 */
export function validPackSigningBytes(pack: AnchorPack): Uint8Array {
  const pieces = validPackBodyJson(pack);
  pieces[0] = PACK_DOMAIN + pieces[0];
  // Every piece is ASCII (see validPackBodyJson): one byte per character.
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    const { read, written } = encodeInto(piece, bytes.subarray(at));
    // Any non-ASCII character (written as more than one byte) would shift or cut what follows.
    if (read !== piece.length || written !== piece.length) throw new AnchorSyncError('ERR_INTERNAL', 'a validated pack has non-ASCII text');
    at += written;
  }
  return bytes;
}

/** `packHash` of a pack `validatePack` returned and nobody changed since. Internal. */
export function validPackHash(pack: AnchorPack): string {
  return bytesToB64u(packDigest(validPackSigningBytes(pack)));
}

/**
 * The message an Ed25519 pack signature covers, given the pack's digest
 * (SHA-256 of its signing bytes): `anchorsync/pack-sig/v1\n` + the 32 digest
 * bytes. Signing the digest rather than the megabytes means one hash pass
 * per pack however many signatures it carries, and the pack hash and the
 * signatures commit to the same value. Security rests on SHA-256 collision
 * resistance, which the `prev` chain already relies on.
 */
export function packSignatureMessage(digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'a pack digest is 32 bytes');
  const prefix = utf8(PACK_SIGNATURE_DOMAIN);
  const message = new Uint8Array(prefix.length + 32);
  message.set(prefix);
  message.set(digest, prefix.length);
  return message;
}

/**
 * base64url SHA-256 of a pack's signing bytes: its identity in `prev` and in
 * sync state, and (as bytes) what its signatures cover.
 *
 * @example
 * ```ts
 * const next = { ...body, seq: pack.seq + 1, prev: packHash(pack) }
 * ```
 */
export function packHash(pack: UnsignedAnchorPack | AnchorPack): string {
  return bytesToB64u(packDigest(packSigningBytes(pack)));
}
