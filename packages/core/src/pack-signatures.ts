/**
 * Counting a validated pack's valid trusted signatures (DESIGN.md rule 2),
 * shared by the synchronous and asynchronous verifiers. Internal: callers
 * use `verifyAnchorPack(Async)`, which validate first; the engine calls
 * this directly on a pack it has itself just validated, so a 100,000-anchor
 * pack is not validated twice.
 */
import { packSignatureMessage, validPackSigningBytes } from './canonical.ts';
import { ed25519Verify } from './ed25519.ts';
import { b64uToBytes, bytesToB64u } from './encoding.ts';
import { packDigest } from './hash.ts';
import { AnchorSyncError } from './errors.ts';
import { DEFAULT_THRESHOLD, MAX_SIGNATURES_PER_PACK } from './limits.ts';
import type { AsyncVerifyPackOptions, VerifiedPack, VerifyPackOptions } from './pack-verify.ts';
import type { AnchorPack } from './types.ts';

/** The threshold asked for, checked before anything else. */
export function thresholdOf(options: VerifyPackOptions): number {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > MAX_SIGNATURES_PER_PACK) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `threshold must be an integer from 1 to ${MAX_SIGNATURES_PER_PACK}`);
  }
  return threshold;
}

/**
 * Counts the distinct trusted public keys whose signature over `message`
 * verifies: per public key, not per kid (one key under two kids is one
 * signer), at most one check per signature and key.
 */
function countSigners(pack: AnchorPack, trusted: VerifyPackOptions['trusted'], message: Uint8Array): Set<string> {
  const byKid = new Map<string, string[]>();
  for (const key of trusted) {
    const list = byKid.get(key.kid) ?? [];
    if (!list.includes(key.pubB64u)) list.push(key.pubB64u);
    byKid.set(key.kid, list);
  }
  const signedBy = new Set<string>();
  for (const s of pack.sig) {
    const candidates = byKid.get(s.kid);
    if (!candidates) continue;
    const signature = b64uToBytes(s.sig)!;
    for (const pubB64u of candidates) {
      if (signedBy.has(pubB64u)) continue;
      const publicKey = b64uToBytes(pubB64u);
      if (publicKey && ed25519Verify(signature, message, publicKey)) {
        signedBy.add(pubB64u);
        break;
      }
    }
  }
  return signedBy;
}

function settle(pack: AnchorPack, bytes: Uint8Array, digest: Uint8Array, options: VerifyPackOptions): VerifiedPack {
  const threshold = thresholdOf(options);
  const signedBy = countSigners(pack, options.trusted, packSignatureMessage(digest));
  if (signedBy.size < threshold) {
    throw new AnchorSyncError(
      'ERR_PACK_SIGNATURE',
      `pack ${pack.orgId}#${pack.seq} has ${signedBy.size} valid trusted signature(s), needs ${threshold}`,
      { details: { orgId: pack.orgId, seq: pack.seq, valid: signedBy.size, threshold } },
    );
  }
  return { pack, bytes, hash: bytesToB64u(digest), signedBy: [...signedBy] };
}

/** Signature check of a pack that `validatePack` returned and nobody changed since. */
export function checkPackSignatures(pack: AnchorPack, options: VerifyPackOptions): VerifiedPack {
  thresholdOf(options);
  const bytes = validPackSigningBytes(pack);
  return settle(pack, bytes, packDigest(bytes), options);
}

/** `checkPackSignatures` hashing with `options.crypto` when given. */
export async function checkPackSignaturesAsync(pack: AnchorPack, options: AsyncVerifyPackOptions): Promise<VerifiedPack> {
  thresholdOf(options);
  const bytes = validPackSigningBytes(pack);
  return settle(pack, bytes, await packDigest(bytes, options.crypto), options);
}
