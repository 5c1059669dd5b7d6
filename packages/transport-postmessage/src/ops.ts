/**
 * What the responder does for each op (protocol.ts): core calls on its
 * storage, shaped into plain JSON results with no `undefined` members.
 */
import {
  AnchorSyncError,
  applyAnchorPack,
  getAnchors,
  getSyncState,
  listPackSeqs,
  listTrustAnchors,
  servePackPage,
  storageKeys,
  validateId,
  verifyPeerMessage,
  type EngineContext,
  type JsonValue,
  type PageRequest,
  type PeerRef,
  type StorageDriver,
} from '@anchorsync/core';
import { plainJsonSize } from './plain-data.ts';
import { DEFAULT_MAX_REPLY_BYTES, MAX_PEERS_LISTED, type ExtensionOp, type PostRequest } from './protocol.ts';

/** Facts about the request an extension may use; the origin is `''` on a port. */
export interface RequestInfo {
  origin: string;
}

/** An extension op: gets the request's `params`, returns plain JSON. */
export type ExtensionHandler = (params: Record<string, unknown>, info: RequestInfo) => Promise<JsonValue> | JsonValue;

export interface OpsConfig {
  ctx: EngineContext;
  acceptPush: boolean;
  /** Read ops served. */
  reads: ReadonlySet<string>;
  pageSize: number | undefined;
  refreshAfterSec: number | undefined;
  allowStale: boolean;
  extensions: ReadonlyMap<string, ExtensionHandler>;
}

/**
 * The result of one request.
 *
 * @throws {AnchorSyncError} for a refusal the client is told about; anything
 * else is answered `ERR_INTERNAL` by the caller.
 */
export async function runOp(config: OpsConfig, request: PostRequest, info: RequestInfo): Promise<unknown> {
  const { ctx } = config;
  const { storage } = ctx;
  const { op } = request;
  const extension = config.extensions.get(op);
  if (extension ? false : op === 'push' ? !config.acceptPush : !config.reads.has(op)) {
    throw new AnchorSyncError('ERR_METHOD_NOT_ALLOWED', `${op} is not served here`);
  }
  if (extension) {
    const result = await extension((request as { params: Record<string, unknown> }).params, info);
    // An extension's bug must not put a function or a cycle on the wire: that is an internal error.
    if ('error' in plainJsonSize(result, DEFAULT_MAX_REPLY_BYTES)) throw new Error(`extension ${op} returned something that is not plain JSON`);
    return result;
  }
  const r = request as Extract<PostRequest, { op: 'anchors' | 'sync-state' | 'pull' | 'push' | 'verify' }>;
  const peer: PeerRef = { ns: r.ns, orgId: r.orgId };
  switch (r.op) {
    case 'pull': {
      const head = await getSyncState(storage, peer.ns, peer.orgId);
      // Absent and undefined members mean the same to servePackPage.
      const page = await servePackPage(storage, { ...peer, since: r.since, token: r.token, sinceHash: r.sinceHash, pageSize: config.pageSize } as PageRequest);
      if (!page.notModified && !head && page.packs.length === 0 && (await listPackSeqs(storage, peer.ns, peer.orgId)).length === 0) {
        throw new AnchorSyncError('ERR_NOT_FOUND', `no packs of ${peer.orgId} in ${peer.ns} here`);
      }
      return config.refreshAfterSec === undefined ? page : { ...page, refreshAfterSec: config.refreshAfterSec };
    }
    case 'push': {
      // Only packs signed by keys pinned here for this org pass: the relay needs no other authentication.
      const outcome = await applyAnchorPack(ctx, r.pack, { expect: peer, keepPack: true });
      return { stored: outcome.status === 'applied', seq: outcome.seq };
    }
    case 'verify': {
      const { kid, message, messageB64u, signature, signedAt } = r;
      const input = { ...peer, kid, message: (message ?? messageB64u)!, signature, ...(signedAt === undefined ? {} : { signedAt }) };
      return verifyPeerMessage(storage, input, ctx.clock ? { allowStale: config.allowStale, now: ctx.clock() } : { allowStale: config.allowStale });
    }
    case 'anchors':
      return { anchors: await getAnchors(storage, peer.ns, peer.orgId) };
    case 'sync-state':
      return { state: (await getSyncState(storage, peer.ns, peer.orgId)) ?? null };
  }
  return listPeers(storage, (request as { ns?: string }).ns);
}

/**
 * Peers with anchors, a sync state or a pinned key here. Keys are
 * `fed:anchors:<ns>:<orgId>` and `fed:anchors:__state__:<ns>:<orgId>`; ids
 * never contain ':', so the number of parts tells them apart (an ns may
 * itself be `__state__`).
 */
async function listPeers(storage: StorageDriver, ns: string | undefined): Promise<unknown> {
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
