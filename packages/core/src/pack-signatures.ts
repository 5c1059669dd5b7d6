/**
 * Counting a validated pack's valid trusted signatures (DESIGN.md rule 2),
 * shared by the synchronous and asynchronous verifiers. Internal: callers
 * use `verifyAnchorPack(Async)`, which validate first; the engine calls
 * this directly on a pack it has itself just validated, so a 100,000-anchor
 * pack is not validated twice.
 */
import { validPackSigningBytes } from './canonical.ts';
import { verifyWithProvider } from './crypto-provider.ts';
import { ed25519Verify } from './ed25519.ts';
import { b64uToBytes } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { DEFAULT_THRESHOLD, MAX_SIGNATURES_PER_PACK } from './limits.ts';
import type { AsyncVerifyPackOptions, VerifiedPack, VerifyPackOptions } from './pack-verify.ts';
import type { AnchorPack } from './types.ts';

/** One verification to run: signature, public key, and that key's base64url. */
type Attempt = [signature: Uint8Array, publicKey: Uint8Array, pubB64u: string];

/** The threshold asked for, checked before anything else. */
export function thresholdOf(options: VerifyPackOptions): number {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > MAX_SIGNATURES_PER_PACK) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `threshold must be an integer from 1 to ${MAX_SIGNATURES_PER_PACK}`);
  }
  return threshold;
}

/**
 * The verifications to run, in order; each answer (sent back into the
 * generator) decides the next. Counted per public key, not per kid: one key
 * under two kids is one signer.
 */
function* attempts(pack: AnchorPack, trusted: VerifyPackOptions['trusted'], signedBy: Set<string>): Generator<Attempt, void, boolean> {
  const byKid = new Map<string, string[]>();
  for (const key of trusted) {
    const list = byKid.get(key.kid) ?? [];
    if (!list.includes(key.pubB64u)) list.push(key.pubB64u);
    byKid.set(key.kid, list);
  }
  for (const s of pack.sig) {
    const candidates = byKid.get(s.kid);
    if (!candidates) continue;
    const signature = b64uToBytes(s.sig)!;
    for (const pubB64u of candidates) {
      if (signedBy.has(pubB64u)) continue;
      const publicKey = b64uToBytes(pubB64u);
      if (publicKey && (yield [signature, publicKey, pubB64u])) {
        signedBy.add(pubB64u);
        break;
      }
    }
  }
}

function settle(pack: AnchorPack, bytes: Uint8Array, signedBy: Set<string>, threshold: number): VerifiedPack {
  if (signedBy.size < threshold) {
    throw new AnchorSyncError(
      'ERR_PACK_SIGNATURE',
      `pack ${pack.orgId}#${pack.seq} has ${signedBy.size} valid trusted signature(s), needs ${threshold}`,
      { details: { orgId: pack.orgId, seq: pack.seq, valid: signedBy.size, threshold } },
    );
  }
  return { pack, bytes, signedBy: [...signedBy] };
}

/** Runs the attempts, going asynchronous only when a verification answers with a Promise. */
function drive(
  run: Generator<Attempt, void, boolean>,
  verify: (attempt: Attempt) => boolean | Promise<boolean>,
  done: () => VerifiedPack,
  answer = false,
): VerifiedPack | Promise<VerifiedPack> {
  for (let step = run.next(answer); !step.done; step = run.next(answer)) {
    const result = verify(step.value);
    if (typeof result !== 'boolean') return result.then((ok) => drive(run, verify, done, ok));
    answer = result;
  }
  return done();
}

/** Signature check of a pack that `validatePack` returned and nobody changed since. */
export function checkPackSignatures(pack: AnchorPack, options: VerifyPackOptions): VerifiedPack {
  const threshold = thresholdOf(options);
  const bytes = validPackSigningBytes(pack);
  const signedBy = new Set<string>();
  return drive(
    attempts(pack, options.trusted, signedBy),
    ([signature, publicKey]) => ed25519Verify(signature, bytes, publicKey),
    () => settle(pack, bytes, signedBy, threshold),
  ) as VerifiedPack;
}

/** `checkPackSignatures` hashing with `options.crypto` when given. */
export async function checkPackSignaturesAsync(pack: AnchorPack, options: AsyncVerifyPackOptions): Promise<VerifiedPack> {
  const { crypto } = options;
  if (!crypto) return checkPackSignatures(pack, options);
  const threshold = thresholdOf(options);
  const bytes = validPackSigningBytes(pack);
  const signedBy = new Set<string>();
  return drive(
    attempts(pack, options.trusted, signedBy),
    ([signature, publicKey]) => verifyWithProvider(crypto, signature, bytes, publicKey),
    () => settle(pack, bytes, signedBy, threshold),
  );
}
