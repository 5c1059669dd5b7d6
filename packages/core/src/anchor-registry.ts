/**
 * Registry of peer organisations' anchors and sync state, on a StorageDriver
 * under `fed:anchors:<ns>:<orgId>` and `fed:anchors:__state__:<ns>:<orgId>`.
 */
import { AnchorSyncError } from './errors.ts';
import { guarded, keys, type JsonValue, type StorageDriver } from './storage.ts';
import type { Anchor, SyncState } from './types.ts';
import { validateId, validateStoredAnchors, validateSyncState } from './validate.ts';

/**
 * The anchors stored for a peer organisation, sorted by kid (empty when none).
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_CORRUPT` when the stored value is not a list of anchors.
 * @example
 * ```ts
 * const anchors = await getAnchors(storage, 'prod', 'org-a')
 * ```
 */
export async function getAnchors(storage: StorageDriver, ns: string, orgId: string): Promise<Anchor[]> {
  return (await getAnchorRecord(storage, ns, orgId)).anchors;
}

/**
 * A peer's anchors with the log position they reflect. The engine stores
 * `{ v: 2, seq, hash, anchors }`, so a reader can tell anchors that lag
 * behind the sync state (a lagging replica, a partial restore) from current
 * ones; a bare list (written by `setAnchors` or older versions) has no position.
 */
export interface AnchorRecord {
  seq?: number;
  hash?: string;
  anchors: Anchor[];
}

/**
 * One stored anchor of a v2 record: `[kid, pubB64u, status, createdAt,
 * updatedAt]`, its orgId being the record's. A third smaller than the
 * object form (a 100,000-anchor peer is 12 MB instead of 19 MB, well inside
 * a KV value) and about twice as fast to read back.
 */
type StoredAnchor = [kid: string, pubB64u: string, status: string, createdAt: string, updatedAt: string];

/** Reads a peer's anchors record (see {@link AnchorRecord}). */
export async function getAnchorRecord(storage: StorageDriver, ns: string, orgId: string): Promise<AnchorRecord> {
  const raw = await guarded('get', () => storage.get(keys.anchors(validateId(ns, 'ns'), validateId(orgId, 'orgId'))));
  if (raw === undefined) return { anchors: [] };
  if (Array.isArray(raw)) return { anchors: ownAnchors(validateStoredAnchors(raw), orgId) };
  const r = raw as { v?: unknown; seq?: unknown; hash?: unknown; anchors?: unknown };
  if (typeof r !== 'object' || r === null || (r.v !== 1 && r.v !== 2) || Object.keys(r).length !== 4 || !Array.isArray(r.anchors)) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `stored anchors of ${orgId} are neither a list nor a v1 or v2 record`);
  }
  // The position is checked by the same rules as a sync state's.
  const position = validateSyncState({ ns, orgId, seq: r.seq, hash: r.hash, issuedAt: EPOCH, expiresAt: EPOCH, lastSyncAt: EPOCH });
  // v1 (still read) kept whole anchor objects; v2 keeps tuples only.
  const list = r.v === 1 ? r.anchors : r.anchors.map((t: unknown, i: number) => fromTuple(t, orgId, i));
  return { seq: position.seq, hash: position.hash, anchors: ownAnchors(validateStoredAnchors(list), orgId) };
}

/** `anchors`, once each is known to be of `orgId`: another org's key must never answer for this one. */
function ownAnchors(anchors: Anchor[], orgId: string): Anchor[] {
  const foreign = anchors.find((a) => a.orgId !== orgId);
  if (foreign) throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `stored anchors of ${orgId} hold ${foreign.kid} of ${foreign.orgId}`);
  return anchors;
}

function fromTuple(t: unknown, orgId: string, index: number): unknown {
  if (!Array.isArray(t) || t.length !== 5) throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `stored anchors of ${orgId}: entry ${index} is not a v2 tuple`);
  const [kid, pubB64u, status, createdAt, updatedAt] = t as StoredAnchor;
  return { orgId, kid, pubB64u, status, createdAt, updatedAt };
}

const EPOCH = '1970-01-01T00:00:00.000Z';

/** Writes the engine's positioned anchors record. Every anchor is of `orgId` (rule 1). */
export async function writeAnchorRecord(storage: StorageDriver, ns: string, orgId: string, seq: number, hash: string, anchors: readonly Anchor[]): Promise<void> {
  const tuples: StoredAnchor[] = anchors.map((a) => {
    if (a.orgId !== orgId) throw new AnchorSyncError('ERR_INTERNAL', `anchor ${a.kid} of ${a.orgId} in the record of ${orgId}`);
    return [a.kid, a.pubB64u, a.status, a.createdAt, a.updatedAt];
  });
  const record = { v: 2, seq, hash, anchors: tuples };
  await guarded('set', () => storage.set(keys.anchors(ns, orgId), record as unknown as JsonValue));
}

/**
 * Replaces the anchors stored for a peer organisation. Low level: the sync
 * engine calls it after every acceptance rule passed; calling it directly
 * skips them.
 *
 * @example
 * ```ts
 * await setAnchors(storage, 'prod', 'org-a', anchors)
 * ```
 */
export async function setAnchors(storage: StorageDriver, ns: string, orgId: string, anchors: readonly Anchor[]): Promise<void> {
  const checked = validateStoredAnchors(anchors);
  const foreign = checked.find((a) => a.orgId !== orgId);
  if (foreign) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `anchor ${foreign.kid} is of ${foreign.orgId}, not ${orgId}`);
  const sorted = [...checked].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  await guarded('set', () => storage.set(keys.anchors(validateId(ns, 'ns'), validateId(orgId, 'orgId')), sorted as unknown as JsonValue));
}

/**
 * The sync state of a peer, or `undefined` before its first accepted pack.
 *
 * @example
 * ```ts
 * const state = await getSyncState(storage, 'prod', 'org-a') // { seq: 7, ... }
 * ```
 */
export async function getSyncState(storage: StorageDriver, ns: string, orgId: string): Promise<SyncState | undefined> {
  const raw = await guarded('get', () => storage.get(keys.syncState(validateId(ns, 'ns'), validateId(orgId, 'orgId'))));
  return raw === undefined ? undefined : validateSyncState(raw);
}

/**
 * Writes the sync state of a peer. Low level, like `setAnchors`.
 *
 * @example
 * ```ts
 * await setSyncState(storage, { ...state, nextSyncAt })
 * ```
 */
export async function setSyncState(storage: StorageDriver, state: SyncState): Promise<void> {
  const checked = validateSyncState(state);
  await guarded('set', () => storage.set(keys.syncState(checked.ns, checked.orgId), checked as unknown as JsonValue));
}
