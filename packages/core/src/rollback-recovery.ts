/**
 * Recovering a peer after a storage rollback (`ERR_STORAGE_ROLLBACK`): the
 * peer's log is pulled again from scratch into a throw-away store, trusting
 * only the pinned keys, and the result replaces the rolled-back copy only if
 * it reaches the high-water mark, passing through the mark's own pack when
 * it sees that seq. Nothing below the mark is ever committed.
 */
import { getAnchors, getSyncState } from './anchor-registry.ts';
import { emitAudit } from './audit.ts';
import { AnchorSyncError, isAnchorSyncError, type AnchorSyncErrorCode } from './errors.ts';
import { raiseHighWater, readHighWater, rollbackOf } from './high-water.ts';
import { mergeAnchors } from './merge.ts';
import { peerLockName, processLock } from './peer-lock.ts';
import { guarded, keys, type JsonValue, type StorageDriver } from './storage.ts';
import { runAnchorSync, type SyncOptions } from './sync-run.ts';
import { formatTimestamp, systemClock } from './time.ts';
import type { Transport } from './transport.ts';
import type { ApplyCounts, PeerRef, SyncState } from './types.ts';
import { validateId } from './validate.ts';

export type RecoverOptions = Omit<SyncOptions, 'peers' | 'plan' | 'force' | 'concurrency'>;

export interface RecoveryResult extends PeerRef {
  /** False when the stored state was not behind its mark: nothing was done. */
  recovered: boolean;
  /** The seq the rolled-back store held (0 when it held none or an unreadable one). */
  fromSeq: number;
  /** The seq the store holds now, at or beyond `mark`. */
  toSeq: number;
  /** The high-water mark it had to reach. */
  mark: number;
  /** Packs verified and applied in the scratch store. */
  packsVerified: number;
}

// Runs of the scratch sync; each run follows up to MAX_PAGES_PER_SYNC pages.
const MAX_ROUNDS = 16;

/**
 * Replaces a rolled-back copy of a peer's anchors and state with a fresh,
 * fully verified sync that ends at or beyond the high-water mark.
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_ROLLBACK` when the source cannot
 * take us back up to the mark (it is stale, or it was rolled back too);
 * `ERR_PACK_EQUIVOCATION` when it serves another pack at the mark's seq
 * (evidence is kept); any code the fresh sync was refused with. In every
 * case the main store is left as it was.
 * @example
 * ```ts
 * const [r] = await runAnchorSync({ storage, highWater, transport, peers })
 * if (r?.rejected?.code === 'ERR_STORAGE_ROLLBACK') await recoverFromRollback({ storage, highWater, transport }, r)
 * ```
 */
export async function recoverFromRollback(options: RecoverOptions, peer: PeerRef): Promise<RecoveryResult> {
  const ns = validateId(peer.ns, 'ns');
  const orgId = validateId(peer.orgId, 'orgId');
  if (!options.highWater) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'recoverFromRollback needs the highWater store');
  const lock = options.lock ?? processLock(options.storage);
  return lock(peerLockName(ns, orgId), () => recoverUnlocked(options, options.highWater!, ns, orgId));
}

async function recoverUnlocked(options: RecoverOptions, highWater: StorageDriver, ns: string, orgId: string): Promise<RecoveryResult> {
  const { storage } = options;
  const clock = options.clock ?? systemClock;
  const mark = await readHighWater(highWater, ns, orgId);
  let state: SyncState | undefined;
  let unreadable = false;
  try {
    state = await getSyncState(storage, ns, orgId);
  } catch (error) {
    // Corrupt, or refused by a highWaterGuard the caller passed as `storage`: either way, rebuild it.
    if (!isAnchorSyncError(error, 'ERR_STORAGE_CORRUPT') && !isAnchorSyncError(error, 'ERR_STORAGE_ROLLBACK')) throw error;
    unreadable = true;
  }
  const fromSeq = state?.seq ?? 0;
  const result: RecoveryResult = { ns, orgId, recovered: false, fromSeq, toSeq: fromSeq, mark: mark?.seq ?? 0, packsVerified: 0 };
  if (!mark || (!unreadable && !rollbackOf(state, mark))) return result;

  // Nothing of the rolled-back copy is trusted but the pins (and, for our own org, the signers).
  const scratch = scratchStorage();
  const copied = [keys.trustPrefix(ns, orgId), ...(options.localOrgId === orgId ? [keys.signerPrefix] : [])];
  for (const prefix of copied) {
    for (const key of await guarded('list', () => storage.list(prefix))) {
      const value = await guarded('get', () => storage.get(key));
      if (value !== undefined) await scratch.set(key, value);
    }
  }
  const source = typeof options.transport === 'function' ? options.transport({ ns, orgId }) : options.transport;
  let servedAtMark: unknown;
  const transport: Transport = {
    async pull(request) {
      const page = await source.pull(request);
      for (const p of Array.isArray(page?.packs) ? page.packs : []) if ((p as { seq?: unknown } | null)?.seq === mark.seq) servedAtMark ??= p;
      return page;
    },
    push: (pack, pushOptions) => source.push(pack, pushOptions),
  };
  const applied = new Map<number, string>();
  const { highWater: _h, lock: _l, audit: _a, storage: _s, transport: _t, ...engine } = options;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const [run] = await runAnchorSync({
      ...engine,
      storage: scratch,
      transport,
      peers: [{ ns, orgId }],
      force: true,
      audit: (e) => {
        if (e.type === 'FED_ANCHOR_SYNC_APPLY') applied.set(e.seq, e.hash);
      },
    });
    if (!run?.ok) {
      const code = (run?.rejected?.code ?? 'ERR_TRANSPORT') as AnchorSyncErrorCode;
      return refuse(options, ns, orgId, code, `recovery of ${orgId} failed: ${run?.rejected?.message ?? 'no result'}`, clock());
    }
    if (run.packsApplied === 0) break;
  }
  result.packsVerified = applied.size;

  const fresh = await getSyncState(scratch, ns, orgId);
  if (!fresh || fresh.seq < mark.seq) {
    const reached = fresh ? `#${fresh.seq}` : 'nothing';
    return refuse(options, ns, orgId, 'ERR_STORAGE_ROLLBACK', `recovery of ${orgId} reached ${reached}, below its high-water mark #${mark.seq}: nothing changed`, clock());
  }
  const atMark = applied.get(mark.seq);
  if (atMark !== undefined && atMark !== mark.hash) {
    const evidence = { detectedAt: formatTimestamp(clock()), seq: mark.seq, acceptedHash: mark.hash, receivedHash: atMark, received: (servedAtMark ?? null) as JsonValue };
    await guarded('set', () => storage.set(keys.evidence(ns, orgId, mark.seq, atMark), evidence));
    return refuse(options, ns, orgId, 'ERR_PACK_EQUIVOCATION', `recovery of ${orgId} met another pack at its high-water mark #${mark.seq}`, clock());
  }

  // Commit: anchors, evidence, then state (a crash in between still reads as a rollback and is recovered again), then the mark.
  const anchors = await getAnchors(scratch, ns, orgId);
  const before = await getAnchors(storage, ns, orgId).catch(() => []);
  // The scratch store's positioned record (anchors with the seq they reflect) is copied as it is.
  const record = await guarded('get', () => scratch.get(keys.anchors(ns, orgId)));
  await guarded('set', () => storage.set(keys.anchors(ns, orgId), (record ?? anchors) as JsonValue));
  for (const key of await scratch.list(keys.evidencePrefix(ns, orgId))) {
    const value = await scratch.get(key);
    if (value !== undefined) await guarded('set', () => storage.set(key, value));
  }
  const next: SyncState = { ...fresh };
  delete next.token;
  await guarded('set', () => storage.set(keys.syncState(ns, orgId), next as unknown as JsonValue));
  await raiseHighWater(highWater, next, clock(), mark);
  await emitAudit(options.audit, {
    type: 'FED_ANCHOR_SYNC_APPLY',
    at: formatTimestamp(clock()),
    ns,
    orgId,
    seq: next.seq,
    hash: next.hash,
    counts: countsBetween(before, anchors),
    warnings: ['ROLLBACK_RECOVERED'],
  });
  return { ...result, recovered: true, toSeq: next.seq };
}

async function refuse(options: RecoverOptions, ns: string, orgId: string, code: AnchorSyncErrorCode, message: string, now: number): Promise<never> {
  await emitAudit(options.audit, { type: 'FED_ANCHOR_SYNC_REJECT', at: formatTimestamp(now), ns, orgId, code, message });
  throw new AnchorSyncError(code, message, { details: { ns, orgId } });
}

function countsBetween(before: Parameters<typeof mergeAnchors>[0], after: Parameters<typeof mergeAnchors>[1]): ApplyCounts {
  try {
    return mergeAnchors(before, after, false).counts;
  } catch {
    // The rolled-back copy was another history: there is no forward diff to count.
    return { added: 0, updated: 0, retired: 0, revoked: 0, unchanged: 0 };
  }
}

/** A Map-backed store that lives only for one recovery. */
function scratchStorage(): StorageDriver {
  const data = new Map<string, string>();
  return {
    get: async (key) => {
      const text = data.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
    },
    set: async (key, value) => void data.set(key, JSON.stringify(value)),
    delete: async (key) => void data.delete(key),
    list: async (prefix) => [...data.keys()].filter((k) => k.startsWith(prefix)).sort(),
  };
}
