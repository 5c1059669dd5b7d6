/**
 * Canonical signing bytes: RFC 8785 (JCS, through `canonicalize`) of the pack
 * without `sig`, behind a fixed domain prefix. The same pack gives the same
 * bytes on every runtime. Pack bodies inside the v1 schema take a fast path
 * that writes the same bytes (fast-canonical.ts); everything else goes
 * through `canonicalize`.
 */
import canonicalize from 'canonicalize';
import { utf8 } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { packBodyJson } from './fast-canonical.ts';
import { hashB64u } from './hash.ts';
import { PACK_DOMAIN } from './limits.ts';
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
 * The bytes a pack signature covers: `anchorsync/pack/v1\n` + JCS(pack - sig).
 *
 * @example
 * ```ts
 * const bytes = packSigningBytes(pack)
 * ed25519Verify(sigBytes, bytes, pubBytes)
 * ```
 */
export function packSigningBytes(pack: UnsignedAnchorPack | AnchorPack): Uint8Array {
  const body = unsignedPart(pack);
  return utf8(PACK_DOMAIN + (packBodyJson(body) ?? canonicalJson(body)));
}

/**
 * `packSigningBytes` of a pack `validatePack` returned: inside the schema by
 * construction, so the fast path always applies and `canonicalize` is not
 * needed (verify-only bundles leave it out). Internal.
 *
 * @throws {AnchorSyncError} `ERR_INTERNAL` if the pack is not in the schema after all.
 */
export function validPackSigningBytes(pack: AnchorPack): Uint8Array {
  const text = packBodyJson(unsignedPart(pack), true);
  if (text === undefined) throw new AnchorSyncError('ERR_INTERNAL', 'a validated pack left the v1 schema');
  return utf8(PACK_DOMAIN + text);
}

/** base64url SHA-512/256 of a pack's signing bytes: its identity in `prev` and in sync state. */
export function packHash(pack: UnsignedAnchorPack | AnchorPack): string {
  return hashB64u(packSigningBytes(pack));
}
