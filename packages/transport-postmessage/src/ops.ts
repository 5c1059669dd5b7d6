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
  type PeerRef,
  type StorageDriver,
  type VerifyMessageOptions,
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
export async function runOp(config: OpsConfig, request: PostRequest, info: RequestInfo): Promise<JsonValue> {
  const { storage } = config.ctx;
  const op = request.op;
  if (op.startsWith('x-')) return runExtension(config, op as ExtensionOp, (request as { params: Record<string, unknown> }).params, info);
  if (op === 'push' ? !config.acceptPush : !config.reads.has(op)) {
    throw new AnchorSyncError('ERR_METHOD_NOT_ALLOWED', `${op} is not served here`);
  }
  switch (request.op) {
    case 'pull':
      return pull(config, request);
    case 'push': {
      // Only packs signed by keys pinned here for this org pass: the relay needs no other authentication.
      const outcome = await applyAnchorPack(config.ctx, request.pack, { expect: { ns: request.ns, orgId: request.orgId }, keepPack: true });
      return { stored: outcome.status === 'applied', seq: outcome.seq };
    }
    case 'verify': {
      const { ns, orgId, kid, message, signature } = request;
      const input = request.signedAt === undefined ? { ns, orgId, kid, message, signature } : { ns, orgId, kid, message, signature, signedAt: request.signedAt };
      const options: VerifyMessageOptions = { allowStale: config.allowStale };
      if (config.ctx.clock) options.now = config.ctx.clock();
      return (await verifyPeerMessage(storage, input, options)) as unknown as JsonValue;
    }
    case 'peers':
      return listPeers(storage, request.ns);
    case 'anchors':
      return { anchors: (await getAnchors(storage, request.ns, request.orgId)) as unknown as JsonValue };
    case 'sync-state':
      return { state: ((await getSyncState(storage, request.ns, request.orgId)) ?? null) as unknown as JsonValue };
  }
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'unknown op');
}

async function pull(config: OpsConfig, request: Extract<PostRequest, { op: 'pull' }>): Promise<JsonValue> {
  const { storage } = config.ctx;
  const peer: PeerRef = { ns: request.ns, orgId: request.orgId };
  const head = await getSyncState(storage, peer.ns, peer.orgId);
  const page = await servePackPage(storage, {
    ...peer,
    since: request.since,
    ...(request.token === undefined ? {} : { token: request.token }),
    ...(request.sinceHash === undefined ? {} : { sinceHash: request.sinceHash }),
    ...(config.pageSize === undefined ? {} : { pageSize: config.pageSize }),
  });
  const hint = config.refreshAfterSec === undefined ? {} : { refreshAfterSec: config.refreshAfterSec };
  if (page.notModified === true) return { packs: [], notModified: true, ...hint };
  if (head === undefined && page.packs.length === 0 && (await listPackSeqs(storage, peer.ns, peer.orgId)).length === 0) {
    throw new AnchorSyncError('ERR_NOT_FOUND', `no packs of ${peer.orgId} in ${peer.ns} here`);
  }
  return { packs: page.packs as JsonValue[], ...(page.next === undefined ? {} : { next: page.next }), ...hint };
}

/**
 * Peers with anchors, a sync state or a pinned key here. Keys are `fed:anchors:<ns>:<orgId>`
 * and `fed:anchors:__state__:<ns>:<orgId>`; ids never contain ':', so the
 * number of parts tells them apart (an ns may itself be `__state__`).
 */
async function listPeers(storage: StorageDriver, ns: string | undefined): Promise<JsonValue> {
  // 'fed:anchors:' from core's layout: the anchors key of an empty (ns, orgId) minus its last ':'.
  const prefix = storageKeys.anchors('', '').slice(0, -1);
  const seen = new Map<string, PeerRef>();
  for (const name of await storage.list(prefix)) {
    const parts = name.slice(prefix.length).split(':');
    const ref =
      parts.length === 2 ? { ns: parts[0]!, orgId: parts[1]! } : parts.length === 3 && parts[0] === '__state__' ? { ns: parts[1]!, orgId: parts[2]! } : undefined;
    if (ref && isId(ref.ns) && isId(ref.orgId) && (ns === undefined || ref.ns === ns)) seen.set(`${ref.ns}:${ref.orgId}`, ref);
  }
  // Pinned but never synced is a peer too: the UI shows it as waiting for its first sync.
  for (const pin of await listTrustAnchors(storage, ns)) seen.set(`${pin.ns}:${pin.orgId}`, { ns: pin.ns, orgId: pin.orgId });
  const refs = [...seen.values()].sort((a, b) => (a.ns === b.ns ? cmp(a.orgId, b.orgId) : cmp(a.ns, b.ns)));
  const peers: JsonValue[] = [];
  for (const ref of refs.slice(0, MAX_PEERS_LISTED)) {
    const state = await getSyncState(storage, ref.ns, ref.orgId);
    peers.push(state === undefined ? { ...ref } : { ...ref, state: state as unknown as JsonValue });
  }
  return refs.length > MAX_PEERS_LISTED ? { peers, truncated: true } : { peers };
}

/** A name some other writer left under the prefix is skipped, not answered as an error. */
function isId(value: string): boolean {
  try {
    validateId(value, 'id');
    return true;
  } catch {
    return false;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function runExtension(config: OpsConfig, op: ExtensionOp, params: Record<string, unknown>, info: RequestInfo): Promise<JsonValue> {
  const handler = config.extensions.get(op);
  if (!handler) throw new AnchorSyncError('ERR_METHOD_NOT_ALLOWED', `${op} is not served here`);
  const result = await handler(params, info);
  // An extension's bug must not put a function or a cycle on the wire: that is an internal error.
  if ('error' in plainJsonSize(result, DEFAULT_MAX_REPLY_BYTES)) throw new Error(`extension ${op} returned something that is not plain JSON`);
  return result;
}
