/**
 * Federated trust anchors: keys of peer organisations pinned out of band
 * (by their `pubB64u`) as trusted to sign that organisation's packs.
 */
import { AnchorSyncError } from './errors.ts';
import { isValidPublicKey } from './ed25519.ts';
import { b64uToBytes } from './encoding.ts';
import { guarded, keys, type StorageDriver } from './storage.ts';
import { formatTimestamp, systemClock, type Clock } from './time.ts';
import type { TrustAnchor } from './types.ts';
import { validateId, validateTrustAnchor } from './validate.ts';

/**
 * Pins `pubB64u` as a key trusted to sign packs of (ns, orgId).
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a malformed or weak public key.
 * @example
 * ```ts
 * await pinTrustAnchor(storage, { ns: 'prod', orgId: 'org-a', kid: 'root', pubB64u })
 * ```
 */
export async function pinTrustAnchor(
  storage: StorageDriver,
  anchor: { ns: string; orgId: string; kid: string; pubB64u: string },
  options: { clock?: Clock } = {},
): Promise<TrustAnchor> {
  const record = validateTrustAnchor(
    { ns: anchor.ns, orgId: anchor.orgId, kid: anchor.kid, pubB64u: anchor.pubB64u, pinnedAt: formatTimestamp((options.clock ?? systemClock)()) },
    'ERR_INVALID_ARGUMENT',
  );
  // Pinning a small-order or off-curve key would be pinning nothing.
  if (!isValidPublicKey(b64uToBytes(record.pubB64u)!)) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'pubB64u is not a usable Ed25519 public key');
  }
  await guarded('set', () => storage.set(keys.trustAnchor(record.ns, record.orgId, record.kid), { ...record }));
  return record;
}

/**
 * Removes a pinned key. Returns whether one was pinned.
 *
 * @example
 * ```ts
 * await unpinTrustAnchor(storage, 'prod', 'org-a', 'root')
 * ```
 */
export async function unpinTrustAnchor(storage: StorageDriver, ns: string, orgId: string, kid: string): Promise<boolean> {
  const key = keys.trustAnchor(validateId(ns, 'ns'), validateId(orgId, 'orgId'), validateId(kid, 'kid'));
  const existing = await guarded('get', () => storage.get(key));
  if (existing === undefined) return false;
  await guarded('delete', () => storage.delete(key));
  return true;
}

/**
 * Pinned trust anchors, all or those of one ns or one (ns, orgId), sorted by key.
 *
 * @example
 * ```ts
 * const pinned = await listTrustAnchors(storage, 'prod', 'org-a')
 * ```
 */
export async function listTrustAnchors(storage: StorageDriver, ns?: string, orgId?: string): Promise<TrustAnchor[]> {
  if (ns !== undefined) validateId(ns, 'ns');
  if (orgId !== undefined) validateId(orgId, 'orgId');
  const names = await guarded('list', () => storage.list(keys.trustPrefix(ns, orgId)));
  const out: TrustAnchor[] = [];
  for (const name of names.sort()) {
    const raw = await guarded('get', () => storage.get(name));
    if (raw !== undefined) out.push(validateTrustAnchor(raw));
  }
  return out;
}
