/**
 * @anchorsync/transport-postmessage/protocol: the anchorsync postMessage
 * protocol, v1, as constants and types. The client (`postMessageTransport`,
 * `./client`, with the UI reads of `./reads`) and the responder
 * (`servePostMessage`, `./responder`, with the ops of `./ops`) implement
 * exactly this.
 *
 * Every message is plain JSON data (no transferables, no Dates, Maps or
 * typed arrays) posted with `postMessage`:
 *
 * Request:  `{ anchorsync: 1, id, op, ...members of the op }`
 * Reply:    `{ anchorsync: 1, id, ok: true, result }`
 *        or `{ anchorsync: 1, id, ok: false, error: { code, message } }`
 *
 * - `id`: 1..64 of `[A-Za-z0-9._-]`, unique per client: a random prefix of
 *   the client instance and a counter (`<12 random base64url chars>.<n>`).
 *   A reply repeats the id of its request. No other members are allowed.
 * - `op`: {@link OP_NAME}. A responder serves exactly the ops its
 *   application passed to it; the protocol's own are these:
 *
 * | op | request members | `result` |
 * |---|---|---|
 * | `pull` | `ns, orgId, since, sinceHash?, token?` | `{ packs, next?, notModified?, refreshAfterSec? }`: a core `PullPage` |
 * | `push` | `ns, orgId, pack` (a relay) | `{ stored, seq }`: a core `PushResult` |
 * | `verify` | `ns, orgId, kid, signature` (base64url), `message` (UTF-8 text) or `messageB64u` (bytes), `signedAt?` | core `MessageVerdict`: `{ ok: true, anchor }` or `{ ok: false, reason, anchor? }` |
 * | `peers` | `ns?` | `{ peers: [{ ns, orgId, state? }], truncated? }`: every peer with anchors, a sync state or a pinned key |
 * | `anchors` | `ns, orgId` | `{ anchors: Anchor[] }` |
 * | `sync-state` | `ns, orgId` | `{ state: SyncState \| null }` |
 * | `x-<name>` | the application's | the application's: any JSON value |
 *
 * Each op checks its members strictly (exactly those of the op, each of
 * its type and size) and refuses others with `ERR_INVALID_ARGUMENT`; an
 * application's own op must do the same. Name an application's ops `x-...`,
 * so they never meet an op a later version of the protocol adds.
 *
 * Pull answers like the HTTP protocol: `notModified: true` with no packs when
 * `sinceHash` names the responder's head, `ERR_NOT_FOUND` for an org it has
 * no packs of. Push applies the pack through every acceptance rule against
 * the keys the responder pinned, as an HTTP relay does. An op the responder
 * does not serve is answered `ERR_METHOD_NOT_ALLOWED`.
 *
 * Cancellation is client-side only: a request that times out or is aborted
 * stops being waited for (its late reply is ignored), but the responder may
 * still finish it. Every op of the protocol is a read or an idempotent
 * apply, so that is safe; an application's op should be too.
 *
 * Errors: `code` is an `AnchorSyncErrorCode` from {@link WIRE_CODES}, the
 * message at most {@link MAX_ERROR_MESSAGE_LENGTH} characters. Everything
 * else a responder fails with (storage, a bug, an op's own error, a result
 * that is not plain JSON) is answered `ERR_INTERNAL` / `internal error`:
 * never a stack, a storage detail or a secret.
 *
 * Security (both sides):
 * - Windows: the client posts with its `targetOrigin`, never `'*'`, and
 *   accepts a reply only when `event.origin === targetOrigin` and
 *   `event.source === target`. The responder drops, without answering, any
 *   message whose `event.origin` is not exactly one of `allowedOrigins`, and
 *   answers `event.source` with `event.origin` as the target origin, so a
 *   reply can never reach a page the sender navigated to since.
 * - Ports (MessagePort, Worker, SharedWorker port): a port is a capability;
 *   whoever holds the other end may ask, and there is no origin to check.
 * - Size: a request over the responder's limit (default 8 MiB) is answered
 *   `ERR_PACK_TOO_LARGE`, one that is not plain JSON (or nests deeper than
 *   32) `ERR_INVALID_ARGUMENT`; a reply over the client's limit (default
 *   64 MiB), or not plain JSON, fails its request with `ERR_TRANSPORT`.
 * - Load: a responder works on at most `concurrency` requests at once and
 *   holds at most `maxPending` (and `maxPendingBytes`) in all; past that it
 *   answers at once `ERR_TRANSPORT` "responder busy" without queueing. A
 *   client keeps at most `maxInFlight` requests waiting; each times out
 *   (`ERR_TIMEOUT`) or can be aborted (`ERR_ABORTED`), and both free it.
 * - A message without `anchorsync: 1` and a string id is not ours and is
 *   ignored silently (pages carry other postMessage traffic); one with them
 *   that breaks the schema is answered `ERR_INVALID_ARGUMENT`.
 */
import type { AnchorSyncErrorCode } from '@anchorsync/core';

/** The `anchorsync` member of every v1 message. */
export const PROTOCOL_VERSION = 1;

/** The operations the protocol defines (`./ops` serves each of them). */
export type ProtocolOp = 'pull' | 'push' | 'verify' | 'peers' | 'anchors' | 'sync-state';

/** An operation an application defines for itself. */
export type ApplicationOp = `x-${string}`;

/** Names of operations: the protocol's, and an application's (`x-...`). */
export const OP_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Request and reply ids. */
export const MESSAGE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Default wait for a reply: an iframe or worker answering a local read takes milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Requests one client keeps waiting at once; more is a bug or a loop, not a use. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** Largest request a responder reads: the HTTP handler's body limit, so a pack either relay takes fits. */
export const DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** Largest reply a client reads: a full page of large packs, bounded (as over HTTP). */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Requests a responder works on at once. */
export const DEFAULT_CONCURRENCY = 4;

/** Requests a responder holds (working and waiting); the rest are answered "busy". */
export const DEFAULT_MAX_PENDING = 64;

/** Bytes of requests a responder holds, so 64 maximal pushes cannot pin 512 MiB. */
export const DEFAULT_MAX_PENDING_BYTES = 32 * 1024 * 1024;

/** Peers one `peers` answer lists at most (then `truncated: true`). */
export const MAX_PEERS_LISTED = 10_000;

/** Longest polling hint either side accepts, 31 days (written out: a literal keeps the module free of top-level work). Core refuses longer ones. */
export const MAX_REFRESH_AFTER_SEC = 2_678_400;

/** Longest error message either side passes on, so a hostile peer cannot flood logs. */
export const MAX_ERROR_MESSAGE_LENGTH = 500;

/**
 * Codes a responder may put on the wire; `false` marks codes internal to one
 * side, answered as `ERR_INTERNAL` (their messages could describe the
 * responder's storage). Exhaustive on purpose: a new core code fails the
 * build until it is placed.
 */
export const WIRE_CODES: Readonly<Record<AnchorSyncErrorCode, boolean>> = {
  ERR_PACK_SCHEMA: true,
  ERR_PACK_TOO_LARGE: true,
  ERR_PACK_FOREIGN_ANCHOR: true,
  ERR_PACK_DUPLICATE_KID: true,
  ERR_PACK_SIGNATURE: true,
  ERR_PACK_ROLLBACK: true,
  ERR_PACK_EQUIVOCATION: true,
  ERR_PACK_EXPIRED: true,
  ERR_PACK_CHAIN: true,
  ERR_PACK_LIFECYCLE: true,
  ERR_PACK_KEY_CHANGED: true,
  ERR_POLICY_DENIED: true,
  ERR_POLICY_CAP: true,
  ERR_POLICY_WINDOW: true,
  ERR_INVALID_ARGUMENT: true,
  ERR_NOT_FOUND: true,
  ERR_METHOD_NOT_ALLOWED: true,
  ERR_TRANSPORT: true,
  ERR_INTERNAL: true,
  ERR_STORAGE: false,
  ERR_STORAGE_CORRUPT: false,
  ERR_STORAGE_LIMIT: false,
  ERR_STORAGE_TAMPERED: false,
  ERR_STORAGE_ROLLBACK: false,
  ERR_SIGNER: false,
  ERR_NO_SIGNER: false,
  ERR_ABORTED: false,
  ERR_TIMEOUT: false,
  ERR_UNSUPPORTED_MEDIA_TYPE: false,
};

/** The error member of a failed reply. */
export interface WireError {
  code: AnchorSyncErrorCode;
  message: string;
}

export type Reply =
  | { anchorsync: typeof PROTOCOL_VERSION; id: string; ok: true; result: unknown }
  | { anchorsync: typeof PROTOCOL_VERSION; id: string; ok: false; error: WireError };
