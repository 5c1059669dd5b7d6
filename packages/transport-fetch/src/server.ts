/**
 * @anchorsync/transport-fetch/server: `createAnchorHandler()` serves a
 * storage's pack log over HTTP, and in relay mode accepts pushed packs, as a
 * plain `(Request) => Promise<Response>` that runs unchanged on workerd,
 * Deno, Bun and Node (through `@anchorsync/transport-fetch/node`). The
 * protocol is fixed in protocol.ts.
 */
import {
  AnchorSyncError,
  applyAnchorPack,
  getSyncState,
  isAnchorSyncError,
  listPackSeqs,
  MAX_PACKS_PER_PAGE,
  servePackPage,
  systemClock,
  validateId,
  validatePolicy,
  type AuditSink,
  type Clock,
  type CrossOrgPolicy,
  type EngineContext,
  type PageRequest,
  type StorageDriver,
} from '@anchorsync/core';
import { discard, readJson } from './body.ts';
import { addCorsHeaders, checkCors, type CorsOptions } from './cors.ts';
import { intOption } from './options.ts';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REFRESH_AFTER_SEC,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_REFRESH_AFTER_SEC,
  PACKS_PATH,
  REFRESH_AFTER_HEADER,
  WIRE_STATUS,
  type WireCode,
  type WireError,
} from './protocol.ts';
import { formatEtag, parseNonNegativeInt } from './wire.ts';

export type { CorsOptions } from './cors.ts';

export interface AnchorHandlerOptions {
  /** Whose pack log is served: a publisher's storage, or a relay's. */
  storage: StorageDriver;
  /** Relay mode: accept pushed packs (verified against the keys pinned here). Default false: POST is 405. */
  acceptPush?: boolean;
  /** Policy for pushed packs (rule 5: allowlist, daily cap, window). */
  policy?: CrossOrgPolicy;
  audit?: AuditSink;
  clock?: Clock;
  /** Polling hint sent with every page, in seconds. Default 300. */
  refreshAfterSec?: number;
  /** Largest accepted push body. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Packs per page. Default core's `DEFAULT_PAGE_SIZE`. */
  pageSize?: number;
  cors?: CorsOptions;
  /** Path the routes live under, e.g. `/anchors` for `/anchors/v1/packs/...`. Default none. */
  basePath?: string;
  /** Called with every unexpected failure answered as a generic 500 (the client learns nothing of it). */
  onError?: (error: unknown) => void;
}

export type AnchorHandler = (request: Request) => Promise<Response>;

const invalid = (message: string) => new AnchorSyncError('ERR_INVALID_ARGUMENT', message);

/**
 * Makes the HTTP handler of the pack routes.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options.
 * @example
 * ```ts
 * import { createAnchorHandler } from '@anchorsync/transport-fetch/server'
 * const handler = createAnchorHandler({ storage, refreshAfterSec: 600 })
 * export default { fetch: handler } // a Cloudflare Worker
 * ```
 */
export function createAnchorHandler(options: AnchorHandlerOptions): AnchorHandler {
  const { storage, onError } = options;
  const s = storage as Partial<StorageDriver> | undefined;
  if (typeof s?.get !== 'function' || typeof s.set !== 'function' || typeof s.list !== 'function') throw invalid('storage must be a StorageDriver');
  const basePath = options.basePath ?? '';
  if (basePath !== '' && !/^(\/[\w.~!$&'()*+,;=:@-]+)+\/?$/.test(basePath)) throw invalid('basePath must be a path like /anchors');
  const refreshAfterSec = intOption(options, 'refreshAfterSec', 0, MAX_REFRESH_AFTER_SEC, DEFAULT_REFRESH_AFTER_SEC);
  const maxBodyBytes = intOption(options, 'maxBodyBytes', 1, Infinity, DEFAULT_MAX_BODY_BYTES);
  const pageSize = intOption(options, 'pageSize', 1, MAX_PACKS_PER_PAGE, undefined);
  const clock = options.clock ?? systemClock;
  const ctx: EngineContext = { storage, clock };
  // Checked now: a bad policy is the operator's mistake, not something to answer clients with.
  if (options.policy !== undefined) ctx.policy = validatePolicy(options.policy);
  if (options.audit !== undefined) ctx.audit = options.audit;
  const origins = checkCors(options.cors);
  const prefix = `${basePath.replace(/\/$/, '')}${PACKS_PATH}/`;
  const acceptPush = options.acceptPush === true;
  const allow = acceptPush ? 'GET, POST, OPTIONS' : 'GET, OPTIONS';

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const method = request.method;
    // The (ns, orgId) the path names; 404 for any other path, 400 for a malformed id.
    const parts = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length).split('/') : [];
    if (parts.length !== 2) throw new AnchorSyncError('ERR_NOT_FOUND', 'no such route');
    const [ns, orgId] = parts.map((part) => {
      try {
        return validateId(decodeURIComponent(part), 'id');
      } catch {
        throw invalid('malformed id in the path');
      }
    }) as [string, string];
    // A preflight: the CORS grant is added below, like the CORS headers of every answer.
    if (method === 'OPTIONS') return new Response(null, { status: 204, headers: { Allow: allow } });
    if (method === 'GET') {
      const since = parseNonNegativeInt(url.searchParams.get('since'));
      if (since === undefined) throw invalid('since must be a safe integer >= 0');
      const head = await getSyncState(storage, ns, orgId);
      const tag = head && formatEtag(head.seq, head.hash);
      // Only the head's own tag can make a 304, and servePackPage grants it only when `since` is the head.
      // Weak tags match too: If-None-Match uses weak comparison (RFC 9110, 13.1.2), and intermediaries may weaken tags.
      const ifNoneMatch = request.headers.get('If-None-Match') ?? '';
      const matched = tag && ifNoneMatch.length <= 4096 && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === tag);
      // Absent and undefined members mean the same to servePackPage.
      const token = url.searchParams.get('token') ?? undefined;
      const page = await servePackPage(storage, { ns, orgId, since, token, sinceHash: matched ? head!.hash : undefined, pageSize } as PageRequest);
      const headers = new Headers({ 'Cache-Control': 'no-cache', [REFRESH_AFTER_HEADER]: String(refreshAfterSec) });
      if (tag) headers.set('ETag', tag);
      if (page.notModified) return new Response(null, { status: 304, headers });
      if (!head && page.packs.length === 0 && (await listPackSeqs(storage, ns, orgId)).length === 0) {
        throw new AnchorSyncError('ERR_NOT_FOUND', `no packs of ${orgId} in ${ns} here`);
      }
      return json(200, page, headers, 'no-cache');
    }
    if (method !== 'POST' || !acceptPush) throw new AnchorSyncError('ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here`);
    if (request.headers.get('Content-Type')?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      throw new AnchorSyncError('ERR_UNSUPPORTED_MEDIA_TYPE', 'a pushed pack must be application/json');
    }
    if (parseNonNegativeInt(request.headers.get('Content-Length'))! > maxBodyBytes) throw new AnchorSyncError('ERR_PACK_TOO_LARGE', `body exceeds ${maxBodyBytes} bytes`);
    // Counted while reading too: Content-Length may be absent (chunked) or a lie.
    const pack = await readJson(request.body, maxBodyBytes);
    // Only packs signed by keys pinned here for this org pass: the relay needs no other authentication.
    const outcome = await applyAnchorPack(ctx, pack, { expect: { ns, orgId }, keepPack: true });
    const stored = outcome.status === 'applied';
    return json(stored ? 201 : 200, { stored, seq: outcome.seq });
  };

  const errorResponse = (error: unknown): Response => {
    const code = isAnchorSyncError(error) && Object.hasOwn(WIRE_STATUS, error.code) ? (error.code as WireCode) : 'ERR_INTERNAL';
    const headers = new Headers();
    if (code === 'ERR_METHOD_NOT_ALLOWED') headers.set('Allow', allow);
    // Daily caps reset at 00:00 UTC (core policy), so that is when a retry can succeed.
    if (code === 'ERR_POLICY_CAP') headers.set('Retry-After', String(Math.ceil((DAY_MS - (clock() % DAY_MS)) / 1000)));
    if (code === 'ERR_INTERNAL') onError?.(error);
    // An internal failure tells the client nothing: no message, no stack, no storage detail.
    const message = code === 'ERR_INTERNAL' ? 'internal error' : (error as AnchorSyncError).message.slice(0, MAX_ERROR_MESSAGE_LENGTH);
    return json(WIRE_STATUS[code], { error: { code, message } } satisfies WireError, headers);
  };

  return async (request) => {
    let response: Response;
    try {
      response = await route(request);
    } catch (error) {
      // A body refused (or left unread by a failure) is not read: cancelled, the connection can close.
      discard(request.body);
      response = errorResponse(error);
    }
    // Only a preflight (OPTIONS on a pack route) is answered 204.
    addCorsHeaders(origins, request, response.headers, response.status === 204 ? allow : undefined);
    return response;
  };
}

const DAY_MS = 86_400_000;

function json(status: number, body: unknown, headers = new Headers(), cache = 'no-store'): Response {
  headers.set('Cache-Control', cache);
  return Response.json(body, { status, headers });
}
