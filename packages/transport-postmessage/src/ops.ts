/**
 * @anchorsync/transport-postmessage/ops: the protocol's ops (protocol.ts)
 * as handlers for `servePostMessage({ ops })`, each a core call on a
 * storage. An application passes in the ones it serves and bundles only
 * those: a worker serving sync takes `pullOp`, a key manager answering a
 * UI `verifyOp`, `peersOp` and `anchorsOp`. Each checks its members
 * strictly before it reads storage.
 */
import {
  AnchorSyncError,
  applyAnchorPack,
  b64uToBytes,
  getAnchors,
  getSyncState,
  listPackSeqs,
  MAX_PACKS_PER_PAGE,
  servePackPage,
  validatePolicy,
  verifyPeerMessage,
  type Clock,
  type EngineContext,
  type PageRequest,
  type StorageDriver,
} from '@anchorsync/core';
import { hasMethod } from './endpoint.ts';
import { checkMembers, id, invalidMember, optional, text } from './members.ts';
import { intOption, invalidOption } from './options.ts';
import { listStoredPeers } from './peer-list.ts';
import { MAX_REFRESH_AFTER_SEC } from './protocol.ts';
import type { OpHandler } from './responder-options.ts';

export type { OpHandler, RequestInfo } from './responder-options.ts';

function checkStorage(storage: StorageDriver): void {
  if (!hasMethod(storage, 'get') || !hasMethod(storage, 'set') || !hasMethod(storage, 'list')) throw invalidOption('storage must be a StorageDriver');
}

/** The members of the ops that name one peer. */
const PEER = { ns: id, orgId: id };

export interface PullOpOptions {
  /** Packs per page. Default core's. */
  pageSize?: number;
  /** Polling hint sent with every page, in seconds. Default none. */
  refreshAfterSec?: number;
}

/**
 * `pull`: pages of a storage's pack log, as a publisher or relay serves
 * them over HTTP; `ERR_NOT_FOUND` for an org it has no packs of.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options.
 * @example
 * ```ts
 * servePostMessage({ listenOn: self, ops: { pull: pullOp(storage, { refreshAfterSec: 300 }) } })
 * ```
 */
export function pullOp(storage: StorageDriver, options: PullOpOptions = {}): OpHandler {
  checkStorage(storage);
  const pageSize = intOption(options, 'pageSize', 1, MAX_PACKS_PER_PAGE, undefined);
  const refreshAfterSec = intOption(options, 'refreshAfterSec', 0, MAX_REFRESH_AFTER_SEC, undefined);
  const checks = {
    ...PEER,
    since: (value: unknown, name: string) => (Number.isSafeInteger(value) && (value as number) >= 0 ? value : invalidMember(name)),
    sinceHash: optional(text(128, /^[A-Za-z0-9_-]+$/)),
    token: optional(text(1024)),
  };
  return async (members) => {
    const request = checkMembers(members, checks) as unknown as PageRequest;
    const { ns, orgId } = request;
    const head = await getSyncState(storage, ns, orgId);
    const page = await servePackPage(storage, pageSize === undefined ? request : { ...request, pageSize });
    if (!page.notModified && !head && page.packs.length === 0 && (await listPackSeqs(storage, ns, orgId)).length === 0) {
      throw new AnchorSyncError('ERR_NOT_FOUND', `no packs of ${orgId} in ${ns} here`);
    }
    return refreshAfterSec === undefined ? page : { ...page, refreshAfterSec };
  };
}

/**
 * `push`, for a relay: applies a pushed pack through every acceptance rule,
 * so only packs signed by keys pinned in `ctx.storage` for that org are
 * kept; the relay needs no other authentication.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for an unusable storage or policy.
 * @example
 * ```ts
 * servePostMessage({ listenOn: port, ops: { pull: pullOp(storage), push: pushOp({ storage, audit }) } })
 * ```
 */
export function pushOp(ctx: EngineContext): OpHandler {
  checkStorage(ctx.storage);
  // Checked now: a bad policy is the operator's mistake, not something to answer clients with.
  const checked: EngineContext = ctx.policy === undefined ? { ...ctx } : { ...ctx, policy: validatePolicy(ctx.policy) };
  const checks = { ...PEER, pack: (value: unknown, name: string) => (value === undefined ? invalidMember(name) : value) };
  return async (members) => {
    const { ns, orgId, pack } = checkMembers(members, checks) as { ns: string; orgId: string; pack: unknown };
    const outcome = await applyAnchorPack(checked, pack, { expect: { ns, orgId }, keepPack: true });
    return { stored: outcome.status === 'applied', seq: outcome.seq };
  };
}

export interface VerifyOpOptions {
  /** Accept keys of a peer whose last pack expired. Default false (a freeze may hide a revocation). */
  allowStale?: boolean;
  /** Default the system clock. */
  clock?: Clock;
}

/**
 * `verify`: core `verifyPeerMessage` on the storage's synced anchors.
 *
 * @example
 * ```ts
 * servePostMessage({ listenOn: window, allowedOrigins: [appOrigin], ops: { verify: verifyOp(storage) } })
 * ```
 */
export function verifyOp(storage: StorageDriver, options: VerifyOpOptions = {}): OpHandler {
  checkStorage(storage);
  const { allowStale = false, clock } = options;
  const checks = {
    ...PEER,
    kid: id,
    // 64 bytes are 86 base64url characters; core answers BAD_SIGNATURE for a wrong length.
    signature: text(128),
    message: optional((value, name) => (typeof value === 'string' ? value : invalidMember(name))),
    messageB64u: optional((value, name) => (typeof value === 'string' && b64uToBytes(value)) || invalidMember(name)),
    signedAt: optional((value, name) => ((typeof value === 'string' && value.length <= 64) || Number.isFinite(value) ? value : invalidMember(name))),
  };
  return async (members) => {
    const { message, messageB64u, ...input } = checkMembers(members, checks) as {
      ns: string;
      orgId: string;
      kid: string;
      signature: string;
      message?: string;
      messageB64u?: Uint8Array;
      signedAt?: string | number;
    };
    if ((message === undefined) === (messageB64u === undefined)) invalidMember('message or messageB64u (exactly one)');
    return verifyPeerMessage(storage, { ...input, message: (message ?? messageB64u)! }, clock ? { allowStale, now: clock() } : { allowStale });
  };
}

/**
 * `peers`: every peer the storage holds anchors, a sync state or a pinned
 * key of, with its sync state.
 *
 * @example
 * ```ts
 * servePostMessage({ listenOn: window, allowedOrigins: [appOrigin], ops: { peers: peersOp(storage) } })
 * ```
 */
export function peersOp(storage: StorageDriver): OpHandler {
  checkStorage(storage);
  return async (members) => listStoredPeers(storage, checkMembers(members, { ns: optional(id) }).ns as string | undefined);
}

/**
 * `anchors`: the anchors the storage holds for a peer.
 *
 * @example
 * ```ts
 * servePostMessage({ listenOn: window, allowedOrigins: [appOrigin], ops: { anchors: anchorsOp(storage) } })
 * ```
 */
export function anchorsOp(storage: StorageDriver): OpHandler {
  checkStorage(storage);
  return async (members) => {
    const { ns, orgId } = checkMembers(members, PEER) as { ns: string; orgId: string };
    return { anchors: await getAnchors(storage, ns, orgId) };
  };
}

/**
 * `sync-state`: the storage's sync state of a peer, `null` for none.
 *
 * @example
 * ```ts
 * servePostMessage({ listenOn: window, allowedOrigins: [appOrigin], ops: { 'sync-state': syncStateOp(storage) } })
 * ```
 */
export function syncStateOp(storage: StorageDriver): OpHandler {
  checkStorage(storage);
  return async (members) => {
    const { ns, orgId } = checkMembers(members, PEER) as { ns: string; orgId: string };
    return { state: (await getSyncState(storage, ns, orgId)) ?? null };
  };
}
