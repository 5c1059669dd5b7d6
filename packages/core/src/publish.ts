/**
 * Publishing this organisation's anchors: the next pack is built from the
 * local signer registry (SignerRecord -> Anchor), numbered, chained to the
 * previous one by `prev`, signed by every ACTIVE signer, kept in the pack
 * log and applied to our own view through the same rules peers use.
 */
import { getAnchors, getSyncState } from './anchor-registry.ts';
import { applyUnlocked, type EngineContext } from './apply.ts';
import { emitAudit } from './audit.ts';
import { assertNoRollback } from './high-water.ts';
import { validPackHash } from './canonical.ts';
import { AnchorSyncError } from './errors.ts';
import { DEFAULT_PACK_TTL_MS, MAX_SIGNATURES_PER_PACK } from './limits.ts';
import { mergeAnchors } from './merge.ts';
import { loadPack, storeValidPack } from './pack-log.ts';
import { signAnchorPack, type PackSigner } from './pack-sign.ts';
import { peerLockName, processLock } from './peer-lock.ts';
import { checkCrossOrgPolicy } from './policy.ts';
import { getSignerSecret, listSigners } from './signer-registry.ts';
import { formatTimestamp, systemClock } from './time.ts';
import type { Transport, PushResult } from './transport.ts';
import type { Anchor, AnchorPack, SignerRecord, UnsignedAnchorPack } from './types.ts';
import { validateId } from './validate.ts';

export interface PublishOptions extends Omit<EngineContext, 'localOrgId'> {
  ns: string;
  orgId: string;
  /** Pack lifetime; peers refuse it after. Default a week. */
  ttlMs?: number;
  /** Sign with these kids only (default: the oldest ACTIVE signers, up to 16). */
  signWith?: readonly string[];
  /** Publish a base pack listing every kid, so new peers can start here. */
  snapshot?: boolean;
}

export interface PublishResult {
  pack: AnchorPack;
  hash: string;
  /** Kids whose records this pack carries. */
  changed: string[];
}

/** The anchor a local signer is published as. */
export function signerToAnchor(orgId: string, signer: SignerRecord): Anchor {
  return { orgId, kid: signer.kid, pubB64u: signer.pubB64u, status: signer.status, createdAt: signer.createdAt, updatedAt: signer.updatedAt };
}

/**
 * Builds, signs, stores and self-applies the next pack of (ns, orgId).
 *
 * @throws {AnchorSyncError} `ERR_NO_SIGNER` without an ACTIVE signer, policy codes when publish is not allowed.
 * @example
 * ```ts
 * const { pack } = await publishAnchorPack({ storage, ns: 'prod', orgId: 'org-a' })
 * await pushAnchorPack(transport, pack)
 * ```
 */
export async function publishAnchorPack(options: PublishOptions): Promise<PublishResult> {
  const ns = validateId(options.ns, 'ns');
  const orgId = validateId(options.orgId, 'orgId');
  const lock = options.lock ?? processLock(options.storage);
  return lock(peerLockName(ns, orgId), () => publishUnlocked({ ...options, ns, orgId }));
}

async function publishUnlocked(options: PublishOptions): Promise<PublishResult> {
  const { storage, ns, orgId } = options;
  const clock = options.clock ?? systemClock;
  // Applying our own pack is not a cross-org apply: the 'apply' policy is for peers.
  const { policy: _crossOrgPolicy, ...own } = options;
  const ctx: EngineContext = { ...own, clock, localOrgId: orgId };
  const now = clock();

  const decision = await checkCrossOrgPolicy(storage, options.policy, { op: 'publish', ns, orgId, now, consume: true });
  if (!decision.allowed) throw new AnchorSyncError(decision.code, decision.message);

  let state = await getSyncState(storage, ns, orgId);
  // A restored backup would make us sign a second, different pack under a seq
  // peers already hold: refuse before anything is signed.
  if (options.highWater) await assertNoRollback(storage, options.highWater, ns, orgId, state ?? null);
  // A publish that crashed after logging its pack left it one past our state:
  // finish it rather than sign a different pack under the same seq (it may
  // have been served already). Logged again, so a base is indexed; trusted
  // even if the key that signed it was retired or revoked since; a newer
  // pack follows it, so it may have expired meanwhile.
  const orphan = await loadPack(storage, ns, orgId, (state?.seq ?? 0) + 1);
  if (orphan) {
    await applyUnlocked(ctx, orphan, { expect: { ns, orgId }, keepPack: true, ownLog: true, followedByNewer: true });
    state = await getSyncState(storage, ns, orgId);
  }

  const signers = await listSigners(storage);
  // Default signers: the oldest ACTIVE keys (roots come first), at most as many as a pack may carry.
  const active = signers.filter((s) => s.status === 'ACTIVE').sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  const wanted = new Set(options.signWith ?? active.slice(0, MAX_SIGNATURES_PER_PACK).map((s) => s.kid));
  const packSigners: PackSigner[] = [];
  for (const kid of wanted) packSigners.push({ kid, secretKey: await getSignerSecret(storage, kid) });
  if (packSigners.length === 0) throw new AnchorSyncError('ERR_NO_SIGNER', `no ACTIVE signer to sign a pack of ${orgId}`);

  const published = await getAnchors(storage, ns, orgId);
  const desired = signers.map((s) => signerToAnchor(orgId, s));
  const isBase = state === undefined || options.snapshot === true;
  // A base lists every kid ever published; a delta only what changed since the last pack.
  const anchors = isBase ? mergeAnchors(published, desired, false).anchors : changedSince(published, desired);
  // Lifecycle is checked before anything is logged: a pack we could not apply ourselves is never served.
  mergeAnchors(published, anchors, isBase);

  const body: UnsignedAnchorPack = {
    v: 1,
    ns,
    orgId,
    seq: (state?.seq ?? 0) + 1,
    issuedAt: formatTimestamp(now),
    expiresAt: formatTimestamp(now + (options.ttlMs ?? DEFAULT_PACK_TTL_MS)),
    anchors,
  };
  if (!isBase && state) body.prev = state.hash;
  const pack = signAnchorPack(body, packSigners);
  // signAnchorPack returns validatePack's output.
  const hash = validPackHash(pack);

  await storeValidPack(storage, pack);
  await applyUnlocked(ctx, pack, { expect: { ns, orgId } });
  await emitAudit(options.audit, {
    type: 'FED_ANCHOR_PUBLISH',
    at: formatTimestamp(now),
    ns,
    orgId,
    seq: pack.seq,
    hash,
    anchors: anchors.length,
    signedBy: pack.sig.map((s) => s.kid),
  });
  return { pack, hash, changed: anchors.map((a) => a.kid) };
}

function changedSince(published: readonly Anchor[], desired: readonly Anchor[]): Anchor[] {
  const byKid = new Map(published.map((a) => [a.kid, a]));
  return desired.filter((a) => {
    const before = byKid.get(a.kid);
    return !before || before.status !== a.status || before.pubB64u !== a.pubB64u;
  });
}

/**
 * Sends a signed pack to a relay or peer through a transport.
 *
 * @example
 * ```ts
 * await pushAnchorPack(fetchTransport({ baseUrl }), pack)
 * ```
 */
export function pushAnchorPack(transport: Transport, pack: AnchorPack, options: { signal?: AbortSignal } = {}): Promise<PushResult> {
  return transport.push(pack, options);
}
