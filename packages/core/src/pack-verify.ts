/**
 * Verifying a pack's signatures against the keys trusted for its
 * organisation (DESIGN.md rule 2): at least `threshold` distinct trusted
 * public keys must have signed the pack's signing bytes.
 */
import type { CryptoProvider } from './crypto-provider.ts';
import { AnchorSyncError } from './errors.ts';
import { checkPackSignatures, checkPackSignaturesAsync, thresholdOf } from './pack-signatures.ts';
import type { AnchorPack } from './types.ts';
import { validatePack, type PackLimits } from './validate.ts';

export type { CryptoProvider } from './crypto-provider.ts';

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

export interface AsyncVerifyPackOptions extends VerifyPackOptions {
  /**
   * Platform SHA-256 (e.g. `@anchorsync/crypto-platform`): the same
   * decisions as without it, less time on large packs.
   */
  crypto?: CryptoProvider;
}

export interface VerifiedPack {
  pack: AnchorPack;
  /** Signing bytes, computed once. */
  bytes: Uint8Array;
  /** The pack hash: base64url SHA-256 of `bytes`, what the signatures cover. */
  hash: string;
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
  thresholdOf(options);
  if ((options as AsyncVerifyPackOptions).crypto !== undefined) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'a CryptoProvider is used by verifyAnchorPackAsync, not verifyAnchorPack');
  }
  return checkPackSignatures(validatePack(value, options), options);
}

/**
 * `verifyAnchorPack` with an optional platform `CryptoProvider` (node:crypto,
 * WebCrypto) doing the hashing.
 *
 * @throws {AnchorSyncError} as `verifyAnchorPack` (the Promise rejects).
 * @example
 * ```ts
 * const { pack } = await verifyAnchorPackAsync(value, { trusted, crypto: platformCrypto() })
 * ```
 */
export async function verifyAnchorPackAsync(value: unknown, options: AsyncVerifyPackOptions): Promise<VerifiedPack> {
  thresholdOf(options);
  return checkPackSignaturesAsync(validatePack(value, options), options);
}
