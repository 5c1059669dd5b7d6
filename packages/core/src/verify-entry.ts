/**
 * `@anchorsync/core/verify`: the smallest entry, for code that only checks
 * packs and signatures (no storage, no sync). Bundlers keep just this; the
 * size budget (test/size) holds it under 8 KB gzipped. Canonical bytes of
 * arbitrary values (`canonicalJson`, `packSigningBytes`, `packHash`) live in
 * the main entry: they need the general RFC 8785 encoder, packs do not; so
 * does `verifyAnchorPackAsync`, for asynchronous (WebCrypto) providers.
 */
export { AnchorSyncError, isAnchorSyncError, type AnchorSyncErrorCode } from './errors.ts';
export type { Anchor, AnchorPack, AnchorStatus, PackSignature } from './types.ts';
export { bytesToB64u, b64uToBytes } from './encoding.ts';
export { ed25519Verify, ed25519VerifyDetailed, isValidPublicKey, type VerifyOutcome, type VerifyRejection } from './ed25519.ts';
export { validatePack } from './validate.ts';
export { verifyAnchorPack, type CryptoProvider, type TrustedKey, type VerifyPackOptions, type VerifiedPack } from './pack-verify.ts';
