/**
 * Verifying a pack's signatures against the keys trusted for its
 * organisation (DESIGN.md rule 2): at least `threshold` distinct trusted
 * public keys must have signed the pack's signing bytes.
 */
import { packSigningBytes } from './canonical.ts';
import { ed25519Verify } from './ed25519.ts';
import { b64uToBytes } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { DEFAULT_THRESHOLD, MAX_SIGNATURES_PER_PACK } from './limits.ts';
import type { AnchorPack } from './types.ts';
import { validatePack, type PackLimits } from './validate.ts';

/** A public key trusted to sign packs of one organisation. */
export interface TrustedKey {
  kid: string;
  pubB64u: string;
  /** Where the trust comes from, for audit: pinned, local signer, or the peer's own ACTIVE anchor (rotation). */
  source: 'pinned' | 'local' | 'rotation';
}

export interface VerifyPackOptions extends PackLimits {
  /** Keys trusted for the pack's organisation. */
  trusted: readonly TrustedKey[];
  /** Distinct trusted public keys that must have signed. Default 1. */
  threshold?: number;
}

export interface VerifiedPack {
  pack: AnchorPack;
  /** Signing bytes, computed once. */
  bytes: Uint8Array;
  /** Distinct trusted public keys (base64url) that signed. */
  signedBy: string[];
}

/**
 * Checks shape and signatures of an untrusted value and returns the typed pack.
 *
 * @throws {AnchorSyncError} `ERR_PACK_SCHEMA` (and the other shape codes) or
 * `ERR_PACK_SIGNATURE` when fewer than `threshold` distinct trusted keys signed.
 * @example
 * ```ts
 * const { pack } = verifyAnchorPack(JSON.parse(text), { trusted: [{ kid: 'root', pubB64u, source: 'pinned' }] })
 * ```
 */
export function verifyAnchorPack(value: unknown, options: VerifyPackOptions): VerifiedPack {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > MAX_SIGNATURES_PER_PACK) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `threshold must be an integer from 1 to ${MAX_SIGNATURES_PER_PACK}`);
  }
  const pack = validatePack(value, options);
  const bytes = packSigningBytes(pack);
  const byKid = new Map<string, string[]>();
  for (const key of options.trusted) {
    const list = byKid.get(key.kid) ?? [];
    if (!list.includes(key.pubB64u)) list.push(key.pubB64u);
    byKid.set(key.kid, list);
  }
  const signedBy = new Set<string>();
  for (const s of pack.sig) {
    const candidates = byKid.get(s.kid);
    if (!candidates) continue;
    const sigBytes = b64uToBytes(s.sig)!;
    for (const pubB64u of candidates) {
      // Counted per public key, not per kid: one key under two kids is one signer.
      if (signedBy.has(pubB64u)) continue;
      const pub = b64uToBytes(pubB64u);
      if (pub && ed25519Verify(sigBytes, bytes, pub)) {
        signedBy.add(pubB64u);
        break;
      }
    }
  }
  if (signedBy.size < threshold) {
    throw new AnchorSyncError(
      'ERR_PACK_SIGNATURE',
      `pack ${pack.orgId}#${pack.seq} has ${signedBy.size} valid trusted signature(s), needs ${threshold}`,
      { details: { orgId: pack.orgId, seq: pack.seq, valid: signedBy.size, threshold } },
    );
  }
  return { pack, bytes, signedBy: [...signedBy] };
}
