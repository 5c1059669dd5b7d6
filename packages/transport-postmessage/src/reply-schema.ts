/**
 * The client's schema check of a reply and of each op's `result`
 * (protocol.ts). The responder is untrusted like any transport: a reply that
 * breaks the schema fails its request with `ERR_TRANSPORT`, and core still
 * verifies every pack it carries.
 */
import {
  AnchorSyncError,
  MAX_PACKS_PER_PAGE,
  validateAnchor,
  validateId,
  validateSyncState,
  type Anchor,
  type KeyRejection,
  type MessageVerdict,
  type PullPage,
  type PushResult,
  type SyncState,
} from '@anchorsync/core';
import { isPlainObject } from './plain-data.ts';
import { cleanMessage, isWireCode, MAX_PEERS_LISTED, MAX_REFRESH_AFTER_SEC, type Reply } from './protocol.ts';

function refused(what: string): never {
  throw new AnchorSyncError('ERR_TRANSPORT', `responder answered with ${what}`);
}

function only(value: unknown, allowed: readonly string[], what: string): Record<string, unknown> {
  if (!isPlainObject(value)) refused(`something that is not ${what}`);
  for (const name of Object.keys(value)) if (!allowed.includes(name)) refused(`${what} with an unknown member`);
  return value;
}

/** A failed reply as the error it stands for: the responder's code when the protocol defines it. */
export function replyError(error: unknown): AnchorSyncError {
  const e = isPlainObject(error) ? error : {};
  if (!isWireCode(e.code)) return new AnchorSyncError('ERR_TRANSPORT', 'responder answered with an unknown error');
  return new AnchorSyncError(e.code, `responder: ${cleanMessage(e.message)}`);
}

/** The reply in `data` (envelope already matched to a pending id), or `ERR_TRANSPORT`. */
export function parseReply(data: unknown): Reply {
  const d = only(data, ['anchorsync', 'id', 'ok', 'result', 'error'], 'a reply');
  if (d.ok === true && 'result' in d && !('error' in d)) return d as Reply;
  if (d.ok === false && 'error' in d && !('result' in d)) {
    const error = only(d.error, ['code', 'message'], 'an error');
    if (typeof error.code === 'string' && typeof error.message === 'string') return d as Reply;
  }
  return refused('a malformed reply');
}

export function checkPage(result: unknown): PullPage {
  const r = only(result, ['packs', 'next', 'notModified', 'refreshAfterSec'], 'a page');
  if (!Array.isArray(r.packs) || r.packs.length > MAX_PACKS_PER_PAGE) refused('a page without a bounded packs array');
  const page: PullPage = { packs: r.packs as unknown[] };
  if (r.next !== undefined) {
    if (typeof r.next !== 'string' || r.next.length === 0 || r.next.length > 1024) refused('a malformed continuation token');
    page.next = r.next;
  }
  if (r.notModified !== undefined) {
    if (r.notModified !== true || page.packs.length > 0 || page.next !== undefined) refused('a malformed not-modified page');
    page.notModified = true;
  }
  const hint = r.refreshAfterSec;
  if (hint !== undefined) {
    if (typeof hint !== 'number' || !Number.isSafeInteger(hint) || hint < 0 || hint > MAX_REFRESH_AFTER_SEC) refused('a malformed refresh hint');
    page.refreshAfterSec = hint;
  }
  return page;
}

export function checkPushResult(result: unknown): PushResult {
  const r = only(result, ['stored', 'seq'], 'a push result');
  if (typeof r.stored !== 'boolean' || typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) refused('a malformed push result');
  return { stored: r.stored, seq: r.seq };
}

const REASONS: ReadonlySet<string> = new Set<KeyRejection | 'BAD_SIGNATURE' | 'BAD_KEY'>([
  'UNKNOWN_ORG',
  'UNKNOWN_KID',
  'REVOKED',
  'RETIRED',
  'STALE',
  'BAD_SIGNATURE',
  'BAD_KEY',
]);

/** An anchor the responder sent for (orgId, kid?): valid, and the one asked about. */
function anchorOf(value: unknown, orgId: string, kid?: string): Anchor {
  let anchor: Anchor;
  try {
    anchor = validateAnchor(value, 'ERR_TRANSPORT');
  } catch {
    return refused('a malformed anchor');
  }
  if (anchor.orgId !== orgId || (kid !== undefined && anchor.kid !== kid)) refused('an anchor of another key');
  return anchor;
}

export function checkVerdict(result: unknown, orgId: string, kid: string): MessageVerdict {
  const r = only(result, ['ok', 'reason', 'anchor'], 'a verdict');
  if (r.ok === true && r.reason === undefined) return { ok: true, anchor: anchorOf(r.anchor, orgId, kid) };
  if (r.ok !== false || typeof r.reason !== 'string' || !REASONS.has(r.reason)) return refused('a malformed verdict');
  const reason = r.reason as Exclude<MessageVerdict, { ok: true }>['reason'];
  return r.anchor === undefined ? { ok: false, reason } : { ok: false, reason, anchor: anchorOf(r.anchor, orgId, kid) };
}

function stateOf(value: unknown, ns: string, orgId: string): SyncState {
  let state: SyncState;
  try {
    state = validateSyncState(value);
  } catch {
    return refused('a malformed sync state');
  }
  if (state.ns !== ns || state.orgId !== orgId) refused('the sync state of another peer');
  return state;
}

export function checkSyncState(result: unknown, ns: string, orgId: string): SyncState | undefined {
  const r = only(result, ['state'], 'a sync state');
  return r.state === null ? undefined : stateOf(r.state, ns, orgId);
}

export function checkAnchors(result: unknown, orgId: string): Anchor[] {
  const r = only(result, ['anchors'], 'an anchor list');
  if (!Array.isArray(r.anchors)) refused('an anchor list that is not an array');
  const anchors = (r.anchors as unknown[]).map((a) => anchorOf(a, orgId));
  if (new Set(anchors.map((a) => a.kid)).size !== anchors.length) refused('an anchor list with a duplicate kid');
  return anchors;
}

/** A peer organisation known to the responder, with its sync state when it has one. */
export interface PeerSummary {
  ns: string;
  orgId: string;
  state?: SyncState;
}

export function checkPeers(result: unknown, ns?: string): { peers: PeerSummary[]; truncated: boolean } {
  const r = only(result, ['peers', 'truncated'], 'a peer list');
  if (!Array.isArray(r.peers) || r.peers.length > MAX_PEERS_LISTED) refused('a peer list that is not a bounded array');
  if (r.truncated !== undefined && r.truncated !== true) refused('a malformed peer list');
  const peers = (r.peers as unknown[]).map((value): PeerSummary => {
    const p = only(value, ['ns', 'orgId', 'state'], 'a peer');
    let ref: { ns: string; orgId: string };
    try {
      ref = { ns: validateId(p.ns, 'ns'), orgId: validateId(p.orgId, 'orgId') };
    } catch {
      return refused('a peer with a malformed id');
    }
    if (ns !== undefined && ref.ns !== ns) refused('a peer of another namespace');
    return p.state === undefined ? ref : { ...ref, state: stateOf(p.state, ref.ns, ref.orgId) };
  });
  return { peers, truncated: r.truncated === true };
}
