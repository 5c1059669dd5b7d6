/**
 * An optional, injected platform hash. Core hashes in plain JS; where the
 * runtime has a native SHA-256 (node:crypto, WebCrypto in browsers,
 * Workers, Deno, Bun), an application can pass one in (see
 * `@anchorsync/crypto-platform`, which detects it) and the megabytes of a
 * large pack are hashed there instead. Core never looks for one itself.
 *
 * Only the pack hash moves. A pack signature covers a short message built
 * from that hash (canonical.ts), so the Ed25519 check itself is a few
 * milliseconds of curve work on 55 bytes and stays in noble's strict
 * verifier: every accept/reject decision is the one the pure-JS path makes.
 * A platform Ed25519 (OpenSSL, WebCrypto) checks a different equation
 * (cofactorless) and treats small-order and mixed-order points its own way.
 *
 * A provider is trusted code: a wrong SHA-256 can make forgeries verify.
 */
import { AnchorSyncError } from './errors.ts';

/**
 * Platform hashing for verification. It may answer synchronously
 * (node:crypto) or with a Promise (WebCrypto).
 *
 * @example
 * ```ts
 * import { platformCrypto } from '@anchorsync/crypto-platform'
 * const crypto = platformCrypto() // node:crypto, WebCrypto, or undefined
 * await runAnchorSync({ storage, transport, peers, ...(crypto ? { crypto } : {}) })
 * ```
 */
export interface CryptoProvider {
  /** SHA-256 of `data`, 32 bytes: the pack hash over a pack's signing bytes. */
  sha256(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Checks a digest from a provider: a wrong one fails loudly instead of reading as a bad signature. Internal. */
export function checkDigest(digest: unknown): Uint8Array {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'CryptoProvider.sha256 must return 32 bytes');
  }
  return digest;
}

/** Wraps a provider's own failure in the typed error callers expect. Internal. */
export function providerError(cause: unknown): AnchorSyncError {
  return cause instanceof AnchorSyncError ? cause : new AnchorSyncError('ERR_INVALID_ARGUMENT', 'CryptoProvider.sha256 failed', { cause });
}
