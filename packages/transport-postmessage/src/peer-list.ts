/**
 * The `peers` op's answer: every peer a storage holds anchors, a sync state
 * or a pinned key of, read from core's key layout.
 */
import { getSyncState, listTrustAnchors, storageKeys, validateId, type JsonValue, type PeerRef, type StorageDriver } from '@anchorsync/core';
import { MAX_PEERS_LISTED } from './protocol.ts';

/**
 * Peers with anchors, a sync state or a pinned key in `storage`, in `ns`
 * when given, sorted by ns then orgId, at most {@link MAX_PEERS_LISTED}.
 * Keys are `fed:anchors:<ns>:<orgId>` and
 * `fed:anchors:__state__:<ns>:<orgId>`; ids never contain ':', so the
 * number of parts tells them apart (an ns may itself be `__state__`).
 */
export async function listStoredPeers(storage: StorageDriver, ns: string | undefined): Promise<{ peers: JsonValue[]; truncated?: true }> {
  // 'fed:anchors:' from core's layout: the anchors key of an empty (ns, orgId) minus its last ':'.
  const prefix = storageKeys.anchors('', '').slice(0, -1);
  // Keyed by `ns orgId`: a space sorts below every id character, so the keys sort by ns, then orgId.
  const seen = new Map<string, PeerRef>();
  const add = (ref: PeerRef) => seen.set(`${ref.ns} ${ref.orgId}`, { ns: ref.ns, orgId: ref.orgId });
  for (const name of await storage.list(prefix)) {
    const parts = name.slice(prefix.length).split(':');
    if (parts.length === 3 && parts.shift() !== '__state__') continue;
    const [peerNs, orgId] = parts;
    try {
      // A name some other writer left under the prefix is skipped, not answered as an error.
      if (parts.length === 2 && (ns === undefined || peerNs === ns)) add({ ns: validateId(peerNs, 'ns'), orgId: validateId(orgId, 'orgId') });
    } catch {
      // Not a peer's key.
    }
  }
  // Pinned but never synced is a peer too: the UI shows it as waiting for its first sync.
  for (const pin of await listTrustAnchors(storage, ns)) add(pin);
  const keys = [...seen.keys()].sort();
  const peers: JsonValue[] = [];
  for (const key of keys.slice(0, MAX_PEERS_LISTED)) {
    const ref = seen.get(key)!;
    const state = await getSyncState(storage, ref.ns, ref.orgId);
    peers.push(state ? { ...ref, state: state as unknown as JsonValue } : { ...ref });
  }
  return keys.length > MAX_PEERS_LISTED ? { peers, truncated: true } : { peers };
}
