/**
 * What the app and the key manager say to each other beyond the protocol's
 * postMessage ops: the app's own `x-sync` op (sync one peer now) and two
 * notices the key manager posts to its parent (`ready`, `anchors-changed`).
 * Both sides check everything they receive against these shapes.
 */
import { AnchorSyncError, validateId } from '@anchorsync/core';

/** The application's op that syncs one configured peer: members `ns`, `orgId`, `force?`. */
export const SYNC_OP = 'x-sync';

/** Marks the example's own notices apart from the protocol's messages. */
const NOTICE_TAG = 'anchorsync-example';

export interface SyncParams {
  ns: string;
  orgId: string;
  /** Sync even if the publisher's refresh hint says it is not due yet ("sync now"). */
  force: boolean;
}

/** The outcome of one peer's sync, as the app shows it. */
export interface SyncSummary {
  ns: string;
  orgId: string;
  ok: boolean;
  /** Not due yet, nothing asked (only without `force`). */
  skipped: boolean;
  fromSeq: number;
  toSeq: number;
  packsApplied: number;
  /** Why it failed: a stable `AnchorSyncError` code. */
  code?: string;
}

/** One message of the inbox, as the chat server delivers it. */
export interface InboxMessage {
  id: string;
  from: string;
  ns: string;
  orgId: string;
  kid: string;
  text: string;
  /** base64url Ed25519 signature over the UTF-8 bytes of `text`. */
  signature: string;
}

export type Notice =
  | { type: 'ready' }
  /** It could not start; `code` is an error code or a DOMException name, nothing more. */
  | { type: 'failed'; code: string }
  | { type: 'anchors-changed'; ns: string; orgId: string; seq: number };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const seq = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * The key manager's side: checks the members of an `x-sync` request from
 * the app, strictly, as the protocol's own ops check theirs.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT`, which the responder answers as such.
 */
export function parseSyncParams(members: Record<string, unknown>): SyncParams {
  if (Object.keys(members).some((name) => name !== 'ns' && name !== 'orgId' && name !== 'force')) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'x-sync takes only ns, orgId and force');
  if (members.force !== undefined && typeof members.force !== 'boolean') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'force must be a boolean');
  return { ns: validateId(members.ns, 'ns'), orgId: validateId(members.orgId, 'orgId'), force: members.force === true };
}

/**
 * The app's side: extension results come back unchecked, so check this one.
 *
 * @throws {AnchorSyncError} `ERR_TRANSPORT` for anything that is not a summary.
 */
export function parseSyncSummary(value: unknown): SyncSummary {
  const bad = () => new AnchorSyncError('ERR_TRANSPORT', 'the key manager answered x-sync with something that is not a sync summary');
  if (!isRecord(value) || typeof value.ok !== 'boolean' || typeof value.skipped !== 'boolean') throw bad();
  if (!seq(value.fromSeq) || !seq(value.toSeq) || !seq(value.packsApplied)) throw bad();
  if (value.code !== undefined && (typeof value.code !== 'string' || !/^ERR_[A-Z_]{1,40}$/.test(value.code))) throw bad();
  const summary: SyncSummary = {
    ns: validateId(value.ns, 'ns'),
    orgId: validateId(value.orgId, 'orgId'),
    ok: value.ok,
    skipped: value.skipped,
    fromSeq: value.fromSeq,
    toSeq: value.toSeq,
    packsApplied: value.packsApplied,
  };
  if (value.code !== undefined) summary.code = value.code as string;
  return summary;
}

/** A notice as the key manager posts it. */
export function notice(body: Notice): Record<string, unknown> {
  return { [NOTICE_TAG]: 1, ...body };
}

/** The notice in a message, or `undefined` for anything else (other traffic, or a malformed notice). */
export function parseNotice(data: unknown): Notice | undefined {
  if (!isRecord(data) || data[NOTICE_TAG] !== 1) return undefined;
  const size = Object.keys(data).length;
  if (data.type === 'ready' && size === 2) return { type: 'ready' };
  if (data.type === 'failed' && size === 3 && typeof data.code === 'string' && /^[A-Za-z_]{1,64}$/.test(data.code)) return { type: 'failed', code: data.code };
  if (data.type !== 'anchors-changed' || size !== 5 || !seq(data.seq)) return undefined;
  try {
    return { type: 'anchors-changed', ns: validateId(data.ns, 'ns'), orgId: validateId(data.orgId, 'orgId'), seq: data.seq };
  } catch {
    return undefined;
  }
}
