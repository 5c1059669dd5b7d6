/**
 * Registry of peer organisations' anchors and sync state, on a StorageDriver
 * under `fed:anchors:<ns>:<orgId>` and `fed:anchors:__state__:<ns>:<orgId>`.
 */
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
  const raw = await guarded('get', () => storage.get(keys.anchors(validateId(ns, 'ns'), validateId(orgId, 'orgId'))));
  return raw === undefined ? [] : validateStoredAnchors(raw);
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
