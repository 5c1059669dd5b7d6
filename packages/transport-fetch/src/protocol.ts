/**
 * @anchorsync/transport-fetch/protocol: the anchorsync HTTP protocol, v1, as
 * constants and types. Client (`fetchTransport`, `./client`) and server
 * (`createAnchorHandler`, `./server`) both implement exactly this; nothing
 * else is spoken.
 *
 * Pull: `GET {base}/v1/packs/{ns}/{orgId}?since=N[&token=T]`
 * - `ns` and `orgId` are path segments, percent-encoded; each must pass core
 *   `validateId`. `since` is required, a safe integer >= 0 written in plain
 *   decimal. `token` is a continuation token from a previous page.
 * - `If-None-Match: "{since}.{sinceHash}"` is sent by the client when it knows
 *   the hash of its pack at `since`. The server's ETag for a client that is up
 *   to date is exactly `"{headSeq}.{headHash}"` (head = the server's sync
 *   state for the org), so an up-to-date client gets `304 Not Modified` with
 *   no body. A tag whose seq is not `since` is ignored, so a browser cache
 *   revalidating another URL can never turn a pull into a false 304.
 * - `200 application/json` `{ "packs": [...], "next"?: string }`, packs in
 *   ascending seq, with `ETag: "{headSeq}.{headHash}"` and
 *   `Cache-Control: no-cache`.
 * - Every 200 and 304 carries `Anchorsync-Refresh-After: <seconds>`, the
 *   publisher's polling hint (the client surfaces it as `refreshAfterSec`).
 * - `404 ERR_NOT_FOUND` when the org has no packs and no sync state here.
 *
 * Push (relay mode, only when the server enables it, else 405):
 * `POST {base}/v1/packs/{ns}/{orgId}`, `Content-Type: application/json`, the
 * body one signed pack. No bearer token: the server applies the pack through
 * every acceptance rule against the keys *it* has pinned for that org, so only
 * packs their owner signed are ever stored. `201 {"stored":true,"seq":N}`
 * when applied, `200 {"stored":false,"seq":N}` when identical to what it has.
 * The server's cross-org policy governs pushes as it does any applied pack
 * (op `apply`): a used-up daily cap answers 429 with `Retry-After` set to the
 * next UTC midnight, when core's daily counters reset.
 *
 * Errors: `{ "error": { "code": "ERR_...", "message": "..." } }`, never a
 * stack or an internal detail; see {@link WIRE_STATUS} for code -> status.
 * A 405 carries `Allow`; a 429 carries `Retry-After` (seconds).
 *
 * CORS (when configured): exact-match origins are echoed with `Vary: Origin`;
 * `OPTIONS` preflight answers 204; `ETag`, `Anchorsync-Refresh-After` and
 * `Retry-After` are exposed to scripts.
 */
import type { AnchorSyncErrorCode } from '@anchorsync/core';

/** Path prefix of the v1 pack routes, after the deployment's base path. */
export const PACKS_PATH = '/v1/packs';

/** Response header carrying the publisher's polling hint, in seconds. */
export const REFRESH_AFTER_HEADER = 'Anchorsync-Refresh-After';

/** Default polling hint: five minutes keeps revocations fresh without hammering a publisher. */
export const DEFAULT_REFRESH_AFTER_SEC = 300;

/** Largest polling hint either side accepts: core refuses hints over 31 days. */
export const MAX_REFRESH_AFTER_SEC = 31 * 86_400;

/** Default largest request body: a pack at core's anchor limit fits; more is an attack. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Default largest response body the client reads: a full page of large packs, bounded. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Largest error body the client reads: an error is a code and a sentence. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Longest error message either side passes on, so a hostile peer cannot flood logs. */
export const MAX_ERROR_MESSAGE_LENGTH = 500;

/**
 * HTTP status of every error code a server may put on the wire (and a
 * client may pass on). The other codes are internal to one side and are
 * answered as a generic 500 `ERR_INTERNAL`: their messages could describe
 * the server's storage.
 */
export const WIRE_STATUS = {
  ERR_PACK_SCHEMA: 400,
  ERR_PACK_FOREIGN_ANCHOR: 400,
  ERR_PACK_DUPLICATE_KID: 400,
  ERR_PACK_SIGNATURE: 400,
  ERR_PACK_EXPIRED: 400,
  ERR_INVALID_ARGUMENT: 400,
  ERR_POLICY_DENIED: 403,
  ERR_POLICY_WINDOW: 403,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_PACK_ROLLBACK: 409,
  ERR_PACK_EQUIVOCATION: 409,
  ERR_PACK_CHAIN: 409,
  ERR_PACK_LIFECYCLE: 409,
  ERR_PACK_KEY_CHANGED: 409,
  ERR_PACK_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_POLICY_CAP: 429,
  ERR_INTERNAL: 500,
} as const satisfies Partial<Record<AnchorSyncErrorCode, number>>;

/** A code a server may send. */
export type WireCode = keyof typeof WIRE_STATUS;

/** Codes that never leave the side they happen on. */
type InternalCode =
  | 'ERR_STORAGE'
  | 'ERR_STORAGE_CORRUPT'
  | 'ERR_STORAGE_LIMIT'
  | 'ERR_STORAGE_TAMPERED'
  | 'ERR_STORAGE_ROLLBACK'
  | 'ERR_SIGNER'
  | 'ERR_NO_SIGNER'
  | 'ERR_TRANSPORT'
  | 'ERR_ABORTED'
  | 'ERR_TIMEOUT';

/** Every core code is placed on one side of the line: a new core code fails the build here until it is. */
type Placed<Unplaced extends never> = Unplaced;
type AllCodesPlaced = Placed<Exclude<AnchorSyncErrorCode, WireCode | InternalCode>>;

/** The JSON error body of the protocol. */
export interface WireError {
  error: { code: WireCode; message: string };
}
