/**
 * An optional, injected platform hash. Core hashes in plain JS; where the
 * runtime has a native SHA-512 (node:crypto, WebCrypto), an application can
 * pass one in (see `@anchorsync/crypto-platform`, which detects it) and the
 * megabytes of a large pack are hashed there instead. Core never looks for
 * one itself.
 *
 * Only the hashing moves. The Ed25519 checks (canonical encodings, small-
 * order keys, the verification equation) stay in noble's strict verifier,
 * so every accept/reject decision is the one the pure-JS path makes: a
 * platform Ed25519 (OpenSSL, WebCrypto) checks a different equation
 * (cofactorless) and treats small-order and mixed-order points its own way,
 * and making it agree would cost the curve work it saves. Hashing is where
 * the time goes: two passes over a 2 MB pack against a few milliseconds of
 * curve work per signature (bench/verify-apply.ts).
 *
 * A provider is trusted code: a wrong SHA-512 can make forgeries verify.
 */
import { hashes, verify } from '@noble/ed25519';
import { AnchorSyncError } from './errors.ts';

/**
 * Platform hashing for verification. Methods may answer synchronously
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
  /** SHA-512 of `data`, 64 bytes: the Ed25519 challenge hash over R || A || signing bytes. */
  sha512(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** SHA-512/256 of `data`, 32 bytes: the pack hash. WebCrypto has none; core then hashes in JS. */
  sha512_256?(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const STRICT = { zip215: false } as const;

/** Checks a digest from a provider: a wrong one fails loudly instead of reading as a bad signature. Internal. */
export function checkDigest(digest: unknown, bytes: number, what: string): Uint8Array {
  if (!(digest instanceof Uint8Array) || digest.length !== bytes) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `CryptoProvider.${what} must return ${bytes} bytes`);
  }
  return digest;
}

/**
 * noble's strict verify with its SHA-512 hook pointed at `hash` for this one
 * synchronous call. noble calls the hook exactly once, inside `verify`, and
 * the hook is restored before anything else can run.
 */
function verifyHashedBy(hash: (data: Uint8Array) => Uint8Array, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const saved = hashes.sha512;
  hashes.sha512 = hash as typeof hashes.sha512;
  try {
    return verify(signature, message, publicKey, STRICT);
  } catch {
    // noble throws on malformed lengths, where ed25519Verify answers false.
    return false;
  } finally {
    hashes.sha512 = saved;
  }
}

/**
 * Strict Ed25519 verification hashing with `provider`: the same answer as
 * `ed25519Verify`. The inputs must not change until it settles.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` (the Promise rejects)
 * when the provider fails or returns a malformed digest.
 */
export async function verifyWithProvider(provider: CryptoProvider, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  // noble refuses these lengths before hashing; so does ed25519Verify.
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  // RFC 8032 5.1.7: the challenge hash covers R || A || M.
  const hashed = new Uint8Array(64 + message.length);
  hashed.set(signature.subarray(0, 32));
  hashed.set(publicKey, 32);
  hashed.set(message, 64);
  let digest: Uint8Array;
  try {
    digest = checkDigest(await provider.sha512(hashed), 64, 'sha512');
  } catch (error) {
    throw providerError(error);
  }
  // noble's strict verify, handed the digest of exactly the bytes it hashes.
  return verifyHashedBy((data) => (data.length === hashed.length ? digest : new Uint8Array(64)), signature, message, publicKey);
}

function providerError(cause: unknown): AnchorSyncError {
  return cause instanceof AnchorSyncError ? cause : new AnchorSyncError('ERR_INVALID_ARGUMENT', 'CryptoProvider.sha512 failed', { cause });
}
