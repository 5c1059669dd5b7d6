/**
 * Signing packs, with one or more keys (multi-signature). Each signature
 * covers `packSignatureMessage` of the pack's digest (canonical.ts).
 */
import { packSignatureMessage, unsignedPart, validPackSigningBytes } from './canonical.ts';
import { ed25519Sign } from './ed25519.ts';
import { bytesToB64u } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { packDigest } from './hash.ts';
import type { AnchorPack, UnsignedAnchorPack } from './types.ts';
import { validateId, validatePack } from './validate.ts';

/** A key that signs: its kid and 32-byte secret key. */
export interface PackSigner {
  kid: string;
  secretKey: Uint8Array;
}

/**
 * Signs a pack with every given key. Signatures already on `pack` are kept
 * (so organisations can co-sign in turn); a kid never signs twice.
 *
 * @throws {AnchorSyncError} `ERR_PACK_SCHEMA` and friends when the pack is not valid v1.
 * @example
 * ```ts
 * const pack = signAnchorPack({ v: 1, ns, orgId, seq: 1, issuedAt, expiresAt, anchors }, [{ kid: 'root', secretKey }])
 * ```
 */
export function signAnchorPack(pack: UnsignedAnchorPack | AnchorPack, signers: readonly PackSigner[]): AnchorPack {
  if (signers.length === 0) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'signAnchorPack needs at least one signer');
  const existing = 'sig' in pack && Array.isArray(pack.sig) ? pack.sig : [];
  // Validate first: never sign bytes that no verifier would accept.
  const checked = validatePack({ ...unsignedPart(pack), sig: existing });
  const message = packSignatureMessage(packDigest(validPackSigningBytes(checked)));
  const sig = [...checked.sig];
  for (const signer of signers) {
    const kid = validateId(signer.kid, 'kid');
    if (sig.some((s) => s.kid === kid)) continue;
    sig.push({ kid, alg: 'Ed25519', sig: bytesToB64u(ed25519Sign(message, signer.secretKey)) });
  }
  return validatePack({ ...checked, sig });
}
