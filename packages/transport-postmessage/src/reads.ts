/**
 * @anchorsync/transport-postmessage/reads: what an app's UI asks a key
 * manager, as functions of a `postMessageTransport()` client: a verdict on
 * a signed message, the peers it knows, a peer's anchors and sync state.
 * Each sends one protocol op (protocol.ts) through `request()` and checks
 * the result strictly: an answer that is malformed, or about another peer
 * or key than asked, fails with `ERR_TRANSPORT`. Import only the ones used;
 * the rest is not bundled.
 */
import {
  bytesToB64u,
  validateAnchor,
  validateId,
  validateSyncState,
  type Anchor,
  type MessageVerdict,
  type PeerRef,
  type SyncState,
  type VerifyMessageInput,
} from '@anchorsync/core';
import type { CallOptions, PostMessageTransport } from './client.ts';
import { invalidOption } from './options.ts';
import { MAX_PEERS_LISTED } from './protocol.ts';
import { only, refused } from './reply.ts';

/** The part of a `postMessageTransport()` client the reads use. */
export type Requester = Pick<PostMessageTransport, 'request'>;

/** A peer organisation known to the responder, with its sync state when it has one. */
export interface PeerSummary {
  ns: string;
  orgId: string;
  state?: SyncState;
}

/** Runs a core validator on what the responder sent: whatever it finds is the responder's fault. */
function valid<T>(validate: () => T): T {
  try {
    return validate();
  } catch {
    return refused();
  }
}

const peer = (ns: unknown, orgId: unknown): PeerRef => ({ ns: validateId(ns, 'ns'), orgId: validateId(orgId, 'orgId') });

/** An anchor the responder sent for (orgId, kid?): valid, and the one asked about. */
function anchorOf(value: unknown, orgId: string, kid?: string): Anchor {
  const anchor = valid(() => validateAnchor(value));
  if (anchor.orgId !== orgId || (kid !== undefined && anchor.kid !== kid)) refused();
  return anchor;
}

/** A sync state the responder sent for `ref`: valid, and the one asked about. */
function stateOf(value: unknown, ref: PeerRef): SyncState {
  const state = valid(() => validateSyncState(value));
  if (state.ns !== ref.ns || state.orgId !== ref.orgId) refused();
  return state;
}

type Reason = Exclude<MessageVerdict, { ok: true }>['reason'];
const REASONS: readonly Reason[] = ['UNKNOWN_ORG', 'UNKNOWN_KID', 'REVOKED', 'RETIRED', 'STALE', 'BAD_SIGNATURE', 'BAD_KEY'];

/**
 * Asks the responder whether `kid` of (ns, orgId) signed `message`: core
 * `verifyPeerMessage` on the responder's storage (op `verify`).
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for malformed input
 * (nothing is posted), and the request's own errors.
 * @example
 * ```ts
 * const verdict = await verifyMessage(keys, { ns: 'prod', orgId: 'org-b', kid: 'chat-2026', message, signature })
 * if (!verdict.ok) showWarning(verdict.reason) // 'REVOKED', 'BAD_SIGNATURE', 'UNKNOWN_KID', ...
 * ```
 */
export async function verifyMessage(keys: Requester, input: VerifyMessageInput, options?: CallOptions): Promise<MessageVerdict> {
  const { message, signature, signedAt } = input;
  const ref = { ...peer(input.ns, input.orgId), kid: validateId(input.kid, 'kid') };
  if ((typeof message !== 'string' && !(message instanceof Uint8Array)) || (typeof signature !== 'string' && !(signature instanceof Uint8Array))) {
    throw invalidOption('message must be a string, signature base64url, or either a Uint8Array');
  }
  // Bytes travel as base64url: a Uint8Array is not plain JSON data.
  const text = typeof message === 'string' ? { message } : { messageB64u: bytesToB64u(message) };
  const members = { ...ref, ...text, signature: typeof signature === 'string' ? signature : bytesToB64u(signature), signedAt };
  const { ok, reason, anchor } = only(await keys.request('verify', members, options), 'ok reason anchor');
  if (ok === true && reason === undefined) return { ok, anchor: anchorOf(anchor, ref.orgId, ref.kid) };
  if (ok !== false || !REASONS.includes(reason as Reason)) refused();
  const verdict: MessageVerdict = { ok, reason: reason as Reason };
  if (anchor !== undefined) verdict.anchor = anchorOf(anchor, ref.orgId, ref.kid);
  return verdict;
}

/**
 * The peer organisations the responder knows (anchors, a sync state or a
 * pinned key), with their sync state, sorted by ns then orgId (op `peers`).
 *
 * @example
 * ```ts
 * const { peers } = await listPeers(keys) // [{ ns, orgId, state? }] for a table
 * ```
 */
export async function listPeers(keys: Requester, options: CallOptions & { ns?: string } = {}): Promise<{ peers: PeerSummary[]; truncated: boolean }> {
  const ns = options.ns === undefined ? undefined : validateId(options.ns, 'ns');
  const { peers, truncated } = only(await keys.request('peers', ns === undefined ? {} : { ns }, options), 'peers truncated');
  if (!Array.isArray(peers) || peers.length > MAX_PEERS_LISTED || (truncated !== undefined && truncated !== true)) refused();
  return {
    peers: peers.map((value): PeerSummary => {
      const p = only(value, 'ns orgId state');
      const ref = valid(() => peer(p.ns, p.orgId));
      if (ns !== undefined && ref.ns !== ns) refused();
      return p.state === undefined ? ref : { ...ref, state: stateOf(p.state, ref) };
    }),
    truncated: truncated === true,
  };
}

/**
 * The anchors the responder holds for (ns, orgId), `[]` for a peer it does
 * not know (op `anchors`).
 *
 * @example
 * ```ts
 * const anchors = await getPeerAnchors(keys, 'prod', 'org-b')
 * ```
 */
export async function getPeerAnchors(keys: Requester, ns: string, orgId: string, options?: CallOptions): Promise<Anchor[]> {
  const ref = peer(ns, orgId);
  const { anchors } = only(await keys.request('anchors', { ...ref }, options), 'anchors');
  const out = Array.isArray(anchors) ? anchors.map((a) => anchorOf(a, ref.orgId)) : refused();
  if (new Set(out.map((a) => a.kid)).size !== out.length) refused();
  return out;
}

/**
 * The responder's sync state of (ns, orgId), `undefined` before its first
 * sync (op `sync-state`).
 *
 * @example
 * ```ts
 * const state = await getPeerSyncState(keys, 'prod', 'org-b') // state?.seq, state?.lastSyncAt
 * ```
 */
export async function getPeerSyncState(keys: Requester, ns: string, orgId: string, options?: CallOptions): Promise<SyncState | undefined> {
  const ref = peer(ns, orgId);
  const { state } = only(await keys.request('sync-state', { ...ref }, options), 'state');
  return state === null ? undefined : stateOf(state, ref);
}
