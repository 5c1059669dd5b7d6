/**
 * The client's schema check of a reply and of each op's `result`
 * (protocol.ts). The responder is untrusted like any transport: a reply that
 * breaks the schema fails its request with `ERR_TRANSPORT`, and core still
 * verifies every pack it carries.
 */
import { AnchorSyncError, MAX_PACKS_PER_PAGE, validateAnchor, validateId, validateSyncState, type Anchor, type MessageVerdict, type PeerRef, type PullPage, type PushResult, type SyncState } from '@anchorsync/core';
import { isPlainObject, plainJsonSize } from './plain-data.ts';
import { MAX_PEERS_LISTED, MAX_REFRESH_AFTER_SEC } from './protocol.ts';
import { cleanMessage, isWireCode } from './wire.ts';

/** A peer organisation known to the responder, with its sync state when it has one. */
export interface PeerSummary {
  ns: string;
  orgId: string;
  state?: SyncState;
}

function refused(what = 'a malformed reply'): never {
  throw new AnchorSyncError('ERR_TRANSPORT', `responder answered with ${what}`);
}

/** `value` when it is a plain object whose members are all named in `allowed` (space-separated). */
function only(value: unknown, allowed: string): Record<string, unknown> {
  if (!isPlainObject(value) || Object.keys(value).some((name) => !allowed.split(' ').includes(name))) refused();
  return value;
}

/** Runs a core validator on what the responder sent: whatever it finds is the responder's fault. */
function valid<T>(validate: () => T): T {
  try {
    return validate();
  } catch {
    return refused();
  }
}

/**
 * The result of a reply (its envelope already matched to a waiting id), or
 * the error it stands for: the responder's code when the protocol lets it
 * cross, else `ERR_TRANSPORT`.
 */
export function replyOf(data: unknown, maxReplyBytes: number): unknown {
  const sized = plainJsonSize(data, maxReplyBytes);
  if ('error' in sized) refused(sized.error === 'too-large' ? `more than ${maxReplyBytes} bytes` : 'something that is not plain JSON data');
  const { ok, result, error } = only(data, 'anchorsync id ok result error');
  if (ok === true && result !== undefined && error === undefined) return result;
  const { code, message } = ok === false && result === undefined ? only(error, 'code message') : refused();
  if (!isWireCode(code) || typeof message !== 'string') return refused('an unknown error');
  throw new AnchorSyncError(code, `responder: ${cleanMessage(message)}`);
}

const safeInt = (value: unknown, min: number, max: number): boolean => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

export function checkPage(result: unknown): PullPage {
  const page = only(result, 'packs next notModified refreshAfterSec');
  const { packs, next, notModified, refreshAfterSec } = page;
  if (
    !Array.isArray(packs) ||
    packs.length > MAX_PACKS_PER_PAGE ||
    (next !== undefined && (typeof next !== 'string' || next.length === 0 || next.length > 1024)) ||
    (notModified !== undefined && (notModified !== true || packs.length > 0 || next !== undefined)) ||
    (refreshAfterSec !== undefined && !safeInt(refreshAfterSec, 0, MAX_REFRESH_AFTER_SEC))
  ) {
    refused();
  }
  return page as unknown as PullPage;
}

export function checkPushResult(result: unknown): PushResult {
  const r = only(result, 'stored seq');
  if (typeof r.stored !== 'boolean' || !safeInt(r.seq, 1, Number.MAX_SAFE_INTEGER)) refused();
  return r as unknown as PushResult;
}

/** An anchor the responder sent for (orgId, kid?): valid, and the one asked about. */
function anchorOf(value: unknown, orgId: string, kid?: string): Anchor {
  const anchor = valid(() => validateAnchor(value));
  if (anchor.orgId !== orgId || (kid !== undefined && anchor.kid !== kid)) refused();
  return anchor;
}

type Reason = Exclude<MessageVerdict, { ok: true }>['reason'];
const REASONS: readonly Reason[] = ['UNKNOWN_ORG', 'UNKNOWN_KID', 'REVOKED', 'RETIRED', 'STALE', 'BAD_SIGNATURE', 'BAD_KEY'];

export function checkVerdict(result: unknown, orgId: string, kid: string): MessageVerdict {
  const { ok, reason, anchor } = only(result, 'ok reason anchor');
  if (ok === true && reason === undefined) return { ok, anchor: anchorOf(anchor, orgId, kid) };
  if (ok !== false || !REASONS.includes(reason as Reason)) refused();
  const verdict: MessageVerdict = { ok, reason: reason as Reason };
  if (anchor !== undefined) verdict.anchor = anchorOf(anchor, orgId, kid);
  return verdict;
}

/** A sync state the responder sent for `peer`: valid, and the one asked about. */
function stateOf(value: unknown, peer: PeerRef): SyncState {
  const state = valid(() => validateSyncState(value));
  if (state.ns !== peer.ns || state.orgId !== peer.orgId) refused();
  return state;
}

export function checkSyncState(result: unknown, peer: PeerRef): SyncState | undefined {
  const { state } = only(result, 'state');
  return state === null ? undefined : stateOf(state, peer);
}

export function checkAnchors(result: unknown, orgId: string): Anchor[] {
  const { anchors } = only(result, 'anchors');
  const out = Array.isArray(anchors) ? anchors.map((a) => anchorOf(a, orgId)) : refused();
  if (new Set(out.map((a) => a.kid)).size !== out.length) refused();
  return out;
}

export function checkPeers(result: unknown, ns: string | undefined): { peers: PeerSummary[]; truncated: boolean } {
  const { peers, truncated } = only(result, 'peers truncated');
  if (!Array.isArray(peers) || peers.length > MAX_PEERS_LISTED || (truncated !== undefined && truncated !== true)) refused();
  return {
    peers: peers.map((value): PeerSummary => {
      const p = only(value, 'ns orgId state');
      const ref = valid(() => ({ ns: validateId(p.ns, 'ns'), orgId: validateId(p.orgId, 'orgId') }));
      if (ns !== undefined && ref.ns !== ns) refused();
      return p.state === undefined ? ref : { ...ref, state: stateOf(p.state, ref) };
    }),
    truncated: truncated === true,
  };
}
