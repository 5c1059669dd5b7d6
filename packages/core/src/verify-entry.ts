/**
 * `@anchorsync/core/verify`: the smallest entry, for code that only checks
 * packs and signatures (no storage, no sync). Bundlers keep just this.
 */
export { AnchorSyncError, isAnchorSyncError, type AnchorSyncErrorCode } from './errors.ts';
export type { Anchor, AnchorPack, AnchorStatus, PackSignature } from './types.ts';
export { bytesToB64u, b64uToBytes } from './encoding.ts';
export { packSigningBytes, packHash } from './canonical.ts';
export { ed25519Verify, ed25519VerifyDetailed, isValidPublicKey, type VerifyOutcome, type VerifyRejection } from './ed25519.ts';
export { validatePack } from './validate.ts';
export { verifyAnchorPack, type TrustedKey, type VerifyPackOptions, type VerifiedPack } from './pack-verify.ts';
