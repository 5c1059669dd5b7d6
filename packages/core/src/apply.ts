/**
 * Applying a pack from a peer: every acceptance rule of DESIGN.md, in order,
 * and only then the writes. A rejected pack leaves anchors and sync state
 * exactly as they were; equivocation evidence goes under its own key.
 */
import { getAnchorRecord, getSyncState, writeAnchorRecord } from './anchor-registry.ts';
import { pendingIntent, writeIntent } from './apply-intent.ts';
import { emitAudit, type AuditSink } from './audit.ts';
import { validPackHash } from './canonical.ts';
import { AnchorSyncError, isAnchorSyncError } from './errors.ts';
import { assertNoRollback, raiseHighWater } from './high-water.ts';
import { CLOCK_SKEW_TOLERANCE_MS } from './limits.ts';
import { mergeAnchors } from './merge.ts';
import { storeValidPack } from './pack-log.ts';
import type { CryptoProvider } from './crypto-provider.ts';
import { checkPackSignaturesAsync } from './pack-signatures.ts';
import type { VerifiedPack } from './pack-verify.ts';
import { peerLockName, processLock, type LockFn } from './peer-lock.ts';
import { checkCrossOrgPolicy, type CrossOrgPolicy } from './policy.ts';
import { listSigners } from './signer-registry.ts';
import { guarded, keys, type JsonValue, type StorageDriver } from './storage.ts';
import { formatTimestamp, parseTimestamp, systemClock, type Clock } from './time.ts';
import { trustedKeysFor } from './trust.ts';
import type { AnchorPack, ApplyCounts, PeerRef, SyncState } from './types.ts';
import { validatePack, type PackLimits } from './validate.ts';

/** What every apply, sync and publish needs. */
export interface EngineContext {
  storage: StorageDriver;
  policy?: CrossOrgPolicy;
  audit?: AuditSink;
  clock?: Clock;
  /** Overrides `policy.threshold`. */
  threshold?: number;
  /** This organisation's id: its own packs are also trusted when its local signers signed them. */
  localOrgId?: string;
  /** Cross-context lock (e.g. Web Locks); the default works within one JavaScript context. */
  lock?: LockFn;
  limits?: PackLimits;
  /**
   * A second store, not restored with `storage` (localStorage beside
   * IndexedDB, a Durable Object beside KV, another file), where the engine
   * records the highest {seq, hash} it accepted per peer. A main store whose
   * state is below its mark is refused with `ERR_STORAGE_ROLLBACK`
   * (see `recoverFromRollback`). Wrap it with `encryptedStorage` as well.
   */
  highWater?: StorageDriver;
  /**
   * Platform SHA-256 for large packs (`platformCrypto()` from
   * `@anchorsync/crypto-platform`). The same decisions as without it.
   */
  crypto?: CryptoProvider;
}

export interface ApplyOptions {
  /** Refuse a pack that is not for this peer. */
  expect?: PeerRef;
  /** Also keep the pack in the local pack log (relays serve it on). */
  keepPack?: boolean;
  /**
   * The sync engine sets this for a pack that more packs follow in the same
   * pull: an expired pack in the middle of a log is history, not a freeze.
   * Only the newest pack a pull reaches must be unexpired (rule 3).
   */
  followedByNewer?: boolean;
}

/** Options only the engine itself passes. */
export interface EngineApplyOptions extends ApplyOptions {
  /**
   * Publish completing a pack from its own log: every local signer, whatever
   * its status now, is trusted for it, since we signed it when the signer
   * was ACTIVE and it may already have been served.
   */
  ownLog?: boolean;
}

export interface ApplyOutcome {
  status: 'applied' | 'unchanged';
  ns: string;
  orgId: string;
  seq: number;
  hash: string;
  counts: ApplyCounts;
  warnings: string[];
}

// Errors already reported as FED_ANCHOR_SYNC_REJECT, so callers do not report them twice.
let auditedErrors: WeakSet<object> | undefined;

/** Whether `applyAnchorPack` already audited this error. Internal to the engine. */
export function wasAudited(error: unknown): boolean {
  return typeof error === 'object' && error !== null && auditedErrors?.has(error) === true;
}

const NO_CHANGE: ApplyCounts = { added: 0, updated: 0, retired: 0, revoked: 0, unchanged: 0 };

/**
 * Verifies an untrusted pack against every acceptance rule and stores it.
 *
 * @throws {AnchorSyncError} with the code of the first rule that failed;
 * an `FED_ANCHOR_SYNC_REJECT` audit event is emitted first.
 * @example
 * ```ts
 * const outcome = await applyAnchorPack({ storage, policy, audit }, JSON.parse(body))
 * console.log(outcome.counts.revoked)
 * ```
 */
export async function applyAnchorPack(ctx: EngineContext, value: unknown, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const c = (value ?? {}) as { ns?: unknown; orgId?: unknown };
  const ns = options.expect?.ns ?? (typeof c.ns === 'string' ? c.ns : '?');
  const orgId = options.expect?.orgId ?? (typeof c.orgId === 'string' ? c.orgId : '?');
  const lock = ctx.lock ?? processLock(ctx.storage);
  return lock(peerLockName(ns, orgId), () => applyUnlocked(ctx, value, options));
}

/** `applyAnchorPack` for a caller that already holds the peer's lock. */
export async function applyUnlocked(ctx: EngineContext, value: unknown, options: EngineApplyOptions = {}): Promise<ApplyOutcome> {
  const clock = ctx.clock ?? systemClock;
  let ref: PeerRef | undefined = options.expect;
  let seq: number | undefined;
  try {
    const shaped = validatePack(value, ctx.limits);
    seq = shaped.seq;
    ref ??= { ns: shaped.ns, orgId: shaped.orgId };
    if (shaped.ns !== ref.ns || shaped.orgId !== ref.orgId) {
      throw new AnchorSyncError('ERR_PACK_SCHEMA', `pack is for ${shaped.ns}/${shaped.orgId}, expected ${ref.ns}/${ref.orgId}`);
    }
    return await acceptPack(ctx, shaped, clock, options);
  } catch (error) {
    if (isAnchorSyncError(error) && error.code !== 'ERR_STORAGE') {
      const event = {
        type: 'FED_ANCHOR_SYNC_REJECT' as const,
        at: formatTimestamp(clock()),
        ns: ref?.ns ?? '?',
        orgId: ref?.orgId ?? '?',
        code: error.code,
        message: error.message,
      };
      await emitAudit(ctx.audit, seq === undefined ? event : { ...event, seq });
      (auditedErrors ??= new WeakSet()).add(error);
    }
    throw error;
  }
}

async function acceptPack(ctx: EngineContext, shaped: AnchorPack, clock: Clock, options: EngineApplyOptions): Promise<ApplyOutcome> {
  const { storage } = ctx;
  const { ns, orgId } = shaped;
  const now = clock();
  const warnings: string[] = [];

  // A store put back to an older copy is refused before any rule: its state cannot judge freshness.
  const state = await getSyncState(storage, ns, orgId);
  const record = await getAnchorRecord(storage, ns, orgId);
  // Anchors are written before the state, so anchors behind the state mean a
  // lagging replica (KV) or a partial restore: merging onto them could drop a
  // revocation, so nothing is decided on them.
  if (state && record.seq !== undefined && record.seq < state.seq) {
    throw new AnchorSyncError(
      'ERR_STORAGE_ROLLBACK',
      `stored anchors of ${orgId} are at #${record.seq} but its sync state at #${state.seq}: a lagging replica or a partial restore; retry later`,
      { details: { seq: shaped.seq, anchorsSeq: record.seq, stateSeq: state.seq } },
    );
  }
  // Our position in the peer's log: anchors ahead of the state (a crash between
  // the two writes, or a stale read of the state) count, so a lower seq is
  // never accepted over what the anchors already hold.
  const position =
    record.seq !== undefined && record.hash !== undefined && (!state || record.seq > state.seq)
      ? { seq: record.seq, hash: record.hash }
      : state && { seq: state.seq, hash: state.hash };
  const mark = ctx.highWater ? await assertNoRollback(storage, ctx.highWater, ns, orgId, state ?? null) : undefined;
  const intent = await pendingIntent(storage, ns, orgId, shaped.seq, state?.hash);

  // Rule 2: signatures by enough distinct trusted keys.
  const trusted = await trustedKeysFor(storage, ns, orgId, {
    ...(ctx.localOrgId === undefined ? {} : { localOrgId: ctx.localOrgId }),
    allowRotation: ctx.policy?.allowRotation === true,
    anchors: record.anchors,
  });
  if (options.ownLog && ctx.localOrgId === orgId) {
    for (const s of await listSigners(storage)) if (s.status !== 'ACTIVE') trusted.push({ kid: s.kid, pubB64u: s.pubB64u, source: 'local' });
  }
  const threshold = ctx.threshold ?? ctx.policy?.threshold;
  let verified: Pick<VerifiedPack, 'pack' | 'hash'>;
  try {
    // `shaped` is validatePack's own output, so only the signatures are left to check.
    verified = await checkPackSignaturesAsync(shaped, { trusted, ...(threshold === undefined ? {} : { threshold }), ...ctx.limits, ...(ctx.crypto ? { crypto: ctx.crypto } : {}) });
  } catch (error) {
    // An apply that crashed after writing anchors may have withdrawn the very
    // keys that signed this pack; its intent record says it passed rule 2
    // against the state before, so completing it is what that apply would have done.
    const hash = intent && isAnchorSyncError(error, 'ERR_PACK_SIGNATURE') ? validPackHash(shaped) : undefined;
    if (hash === undefined || hash !== intent?.hash) throw error;
    verified = { pack: shaped, hash };
  }
  const { pack, hash } = verified;
  if (intent && intent.hash !== hash) {
    // Another pack at the seq of a pack we already began to apply: two signed histories.
    await recordEquivocation(storage, pack, hash, intent.hash, now);
    throw new AnchorSyncError('ERR_PACK_EQUIVOCATION', `two different packs signed for ${orgId}#${pack.seq}`, {
      details: { seq: pack.seq, accepted: intent.hash, received: hash },
    });
  }

  // Rule 3: freshness against what we accepted last.
  let completing = false;
  if (position) {
    if (pack.seq < position.seq && state && pack.seq > state.seq) {
      // Between the state and what the anchors already hold: nothing to add, nothing to write.
      return { status: 'unchanged', ns, orgId, seq: pack.seq, hash, counts: { ...NO_CHANGE }, warnings };
    }
    if (pack.seq < position.seq) {
      throw new AnchorSyncError('ERR_PACK_ROLLBACK', `pack ${orgId}#${pack.seq} is older than accepted #${position.seq}`, {
        details: { seq: pack.seq, accepted: position.seq },
      });
    }
    if (pack.seq === position.seq) {
      if (hash !== position.hash) {
        await recordEquivocation(storage, pack, hash, position.hash, now);
        throw new AnchorSyncError('ERR_PACK_EQUIVOCATION', `two different packs signed for ${orgId}#${pack.seq}`, {
          details: { seq: pack.seq, accepted: position.hash, received: hash },
        });
      }
      if (state && state.seq === position.seq) {
        if (options.keepPack) await storeValidPack(storage, pack);
        // A mark that lags (a crash after the state write) catches up here.
        if (ctx.highWater && (mark?.seq ?? 0) < state.seq) await raiseHighWater(ctx.highWater, state, now, mark ?? null);
        return { status: 'unchanged', ns, orgId, seq: pack.seq, hash, counts: { ...NO_CHANGE }, warnings };
      }
      // The anchors already hold this pack; only the state write is missing.
      completing = true;
    }
    // A delta must continue our log exactly: skipping a pack could skip a revocation.
    if (!completing && pack.prev !== undefined && (pack.seq !== position.seq + 1 || pack.prev !== position.hash)) {
      throw new AnchorSyncError('ERR_PACK_CHAIN', `pack ${orgId}#${pack.seq} does not follow accepted #${position.seq}`, {
        details: { seq: pack.seq, accepted: position.seq },
      });
    }
  } else if (pack.prev !== undefined) {
    throw new AnchorSyncError('ERR_PACK_CHAIN', `first pack of ${orgId} must be a base pack (no prev), got #${pack.seq}`, {
      details: { seq: pack.seq },
    });
  }
  if (!options.followedByNewer && parseTimestamp(pack.expiresAt)! <= now) {
    throw new AnchorSyncError('ERR_PACK_EXPIRED', `pack ${orgId}#${pack.seq} expired at ${pack.expiresAt}`, { details: { seq: pack.seq } });
  }
  if (parseTimestamp(pack.issuedAt)! > now + CLOCK_SKEW_TOLERANCE_MS) warnings.push('CLOCK_SKEW');

  // Rule 4: lifecycle, checked while merging; nothing is written if it throws.
  const merged = mergeAnchors(record.anchors, pack.anchors, pack.prev === undefined);
  if (merged.omitted.length > 0) warnings.push('BASE_OMITS_KNOWN_KIDS');

  // Rule 5: policy, counted only for a pack that passed every other rule.
  const decision = await checkCrossOrgPolicy(storage, ctx.policy, { op: 'apply', ns, orgId, now, consume: true });
  if (!decision.allowed) throw new AnchorSyncError(decision.code, decision.message, { details: { seq: pack.seq } });

  // Writes, in crash-safe order: intent, log, anchors, state, then the mark.
  // A crash before the state write leaves the old seq, so the next sync
  // re-applies this pack (the intent vouches for its signatures) and the
  // merge, being idempotent, completes it. Anchors before state: a reader
  // never sees a seq whose revocations are not stored yet.
  if (merged.changed) await writeIntent(storage, ns, orgId, { seq: pack.seq, hash, prev: state?.hash ?? null });
  if (options.keepPack) await storeValidPack(storage, pack);
  // Written for every pack, changed or not, so the record's position never lags the state.
  if (!completing) await writeAnchorRecord(storage, ns, orgId, pack.seq, hash, merged.anchors);
  const next: SyncState = {
    ns,
    orgId,
    seq: pack.seq,
    hash,
    issuedAt: pack.issuedAt,
    expiresAt: pack.expiresAt,
    lastSyncAt: formatTimestamp(now),
  };
  if (state?.nextSyncAt !== undefined) next.nextSyncAt = state.nextSyncAt;
  await guarded('set', () => storage.set(keys.syncState(ns, orgId), next as unknown as JsonValue));
  if (ctx.highWater) await raiseHighWater(ctx.highWater, next, now, mark ?? null);

  const outcome: ApplyOutcome = { status: 'applied', ns, orgId, seq: pack.seq, hash, counts: merged.counts, warnings };
  const auditWarning = await emitAudit(ctx.audit, {
    type: 'FED_ANCHOR_SYNC_APPLY',
    at: formatTimestamp(now),
    ns,
    orgId,
    seq: pack.seq,
    hash,
    counts: merged.counts,
    warnings: [...warnings],
  });
  if (auditWarning) warnings.push(auditWarning);
  return outcome;
}

/** Keeps both signed statements: together they prove the publisher signed two histories. */
async function recordEquivocation(storage: StorageDriver, pack: AnchorPack, hash: string, acceptedHash: string, now: number): Promise<void> {
  const evidence = {
    detectedAt: formatTimestamp(now),
    seq: pack.seq,
    acceptedHash,
    receivedHash: hash,
    received: pack as unknown as JsonValue,
  };
  await guarded('set', () => storage.set(keys.evidence(pack.ns, pack.orgId, pack.seq, hash), evidence));
}

/** Equivocation evidence recorded for a peer. */
export async function listEquivocationEvidence(storage: StorageDriver, ns: string, orgId: string): Promise<JsonValue[]> {
  const names = await guarded('list', () => storage.list(keys.evidencePrefix(ns, orgId)));
  const out: JsonValue[] = [];
  for (const name of names.sort()) {
    const raw = await guarded('get', () => storage.get(name));
    if (raw !== undefined) out.push(raw);
  }
  return out;
}
