/**
 * @anchorsync/core: sign, verify, sync and keep federated Ed25519 trust
 * anchors. Runtime-free: no WebCrypto, no Node built-ins.
 */
export * from './errors.ts';
export * from './types.ts';
export * from './limits.ts';
export { bytesToB64u, b64uToBytes, utf8 } from './encoding.ts';
export { parseTimestamp, formatTimestamp, systemClock, type Clock } from './time.ts';
export { canonicalJson, packSigningBytes, packSignatureMessage, packHash } from './canonical.ts';
export { packDigest } from './hash.ts';
export * from './ed25519.ts';
export {
  validatePack,
  validateAnchor,
  validateStoredAnchors,
  validateSyncState,
  validateSignerRecord,
  validateTrustAnchor,
  validateId,
  type PackLimits,
} from './validate.ts';
export { keys as storageKeys, type StorageDriver, type JsonValue } from './storage.ts';
export * from './anchor-registry.ts';
export * from './signer-registry.ts';
export * from './trust-registry.ts';
export * from './pack-sign.ts';
export * from './pack-verify.ts';
export * from './audit.ts';
export * from './transport.ts';
export * from './policy.ts';
export * from './merge.ts';
export * from './trust.ts';
export * from './peer-lock.ts';
export * from './pack-log.ts';
export { applyAnchorPack, listEquivocationEvidence, type EngineContext, type ApplyOptions, type ApplyOutcome } from './apply.ts';
export * from './publish.ts';
export * from './loopback.ts';
export * from './sync-plan.ts';
export * from './sync-run.ts';
export * from './high-water.ts';
export * from './rollback-recovery.ts';
export * from './lookup.ts';
export * from './jwks.ts';
