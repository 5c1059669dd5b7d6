/**
 * `createAnchorHandler()`: serves a storage's pack log over HTTP, and in
 * relay mode accepts pushed packs, as a plain `(Request) => Promise<Response>`
 * that runs unchanged on workerd, Deno, Bun and Node (through `./node`).
 * The protocol is fixed in protocol.ts.
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
  type PeerRef,
  type StorageDriver,
} from '@anchorsync/core';
import { parseJsonBytes, readLimited, discard } from './body.ts';
import { addCorsHeaders, checkCors, preflight, type CorsOptions } from './cors.ts';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REFRESH_AFTER_SEC,
  formatEtag,
  isWireCode,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_REFRESH_AFTER_SEC,
  PACKS_PATH,
  parseNonNegativeInt,
  REFRESH_AFTER_HEADER,
  sinceHashFrom,
  WIRE_STATUS,
  type WireError,
} from './protocol.ts';

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

interface Config {
  ctx: EngineContext;
  clock: Clock;
  acceptPush: boolean;
  refreshAfterSec: number;
  maxBodyBytes: number;
  pageSize: number | undefined;
  origins: ReadonlySet<string> | undefined;
  prefix: string;
  allow: string;
  onError: ((error: unknown) => void) | undefined;
}

/**
 * Makes the HTTP handler of the pack routes.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options.
 * @example
 * ```ts
 * const handler = createAnchorHandler({ storage, refreshAfterSec: 600 })
 * export default { fetch: handler } // a Cloudflare Worker
 * ```
 */
export function createAnchorHandler(options: AnchorHandlerOptions): AnchorHandler {
  const config = checkOptions(options);
  return async (request) => {
    let response: Response;
    try {
      response = await route(config, request);
    } catch (error) {
      response = errorResponse(config, error);
    }
    addCorsHeaders(config.origins, request.headers.get('Origin'), response.headers);
    return response;
  };
}

function checkOptions(options: AnchorHandlerOptions): Config {
  const s = options.storage as Partial<StorageDriver> | undefined;
  if (!s || typeof s.get !== 'function' || typeof s.set !== 'function' || typeof s.list !== 'function') {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'storage must be a StorageDriver');
  }
  const int = (value: number | undefined, what: string, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be an integer in ${min}..${max}`);
    }
    return value;
  };
  const basePath = options.basePath ?? '';
  if (basePath !== '' && !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+\/?$/.test(basePath)) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'basePath must be a path like /anchors');
  }
  const acceptPush = options.acceptPush === true;
  const clock = options.clock ?? systemClock;
  const ctx: EngineContext = { storage: options.storage, clock };
  // Checked now: a bad policy is the operator's mistake, not something to answer clients with.
  if (options.policy !== undefined) ctx.policy = validatePolicy(options.policy);
  if (options.audit !== undefined) ctx.audit = options.audit;
  return {
    ctx,
    clock,
    acceptPush,
    refreshAfterSec: int(options.refreshAfterSec, 'refreshAfterSec', 0, MAX_REFRESH_AFTER_SEC, DEFAULT_REFRESH_AFTER_SEC),
    maxBodyBytes: int(options.maxBodyBytes, 'maxBodyBytes', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_BODY_BYTES),
    pageSize: options.pageSize === undefined ? undefined : int(options.pageSize, 'pageSize', 1, MAX_PACKS_PER_PAGE, 1),
    origins: checkCors(options.cors),
    prefix: `${basePath.replace(/\/$/, '')}${PACKS_PATH}/`,
    allow: acceptPush ? 'GET, POST, OPTIONS' : 'GET, OPTIONS',
    onError: options.onError,
  };
}

async function route(config: Config, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const peer = matchPeer(config.prefix, url.pathname);
  switch (request.method) {
    case 'GET':
      return pull(config, request, url, peer);
    case 'POST':
      if (config.acceptPush) return push(config, request, peer);
      break;
    case 'OPTIONS':
      return preflight(config.origins, request, config.allow);
  }
  discard(request.body);
  throw new AnchorSyncError('ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed here`);
}

/** The (ns, orgId) a path names; 404 for any other path, 400 for a malformed id. */
function matchPeer(prefix: string, pathname: string): PeerRef {
  const parts = pathname.startsWith(prefix) ? pathname.slice(prefix.length).split('/') : [];
  if (parts.length !== 2) throw new AnchorSyncError('ERR_NOT_FOUND', 'no such route');
  const [ns, orgId] = parts.map((part, i) => {
    const what = i === 0 ? 'ns' : 'orgId';
    try {
      return validateId(decodeURIComponent(part), what);
    } catch {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} in the path is not a valid id`);
    }
  }) as [string, string];
  return { ns, orgId };
}

async function pull(config: Config, request: Request, url: URL, peer: PeerRef): Promise<Response> {
  const since = parseNonNegativeInt(url.searchParams.get('since'));
  if (since === undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'since must be a safe integer >= 0');
  const token = url.searchParams.get('token') ?? undefined;
  const sinceHash = sinceHashFrom(request.headers.get('If-None-Match'), since);
  const { storage } = config.ctx;
  const head = await getSyncState(storage, peer.ns, peer.orgId);
  const page = await servePackPage(storage, {
    ...peer,
    since,
    ...(token === undefined ? {} : { token }),
    ...(sinceHash === undefined ? {} : { sinceHash }),
    ...(config.pageSize === undefined ? {} : { pageSize: config.pageSize }),
  });
  const headers = new Headers({ 'Cache-Control': 'no-cache', [REFRESH_AFTER_HEADER]: String(config.refreshAfterSec) });
  if (page.notModified === true) {
    // The tag that matched is the client's own: exactly the head servePackPage compared against.
    headers.set('ETag', formatEtag(since, sinceHash!)!);
    return new Response(null, { status: 304, headers });
  }
  if (head === undefined && page.packs.length === 0 && (await listPackSeqs(storage, peer.ns, peer.orgId)).length === 0) {
    throw new AnchorSyncError('ERR_NOT_FOUND', `no packs of ${peer.orgId} in ${peer.ns} here`);
  }
  const etag = head === undefined ? undefined : formatEtag(head.seq, head.hash);
  if (etag !== undefined) headers.set('ETag', etag);
  headers.set('Content-Type', 'application/json');
  const body = page.next === undefined ? { packs: page.packs } : { packs: page.packs, next: page.next };
  return new Response(JSON.stringify(body), { status: 200, headers });
}

async function push(config: Config, request: Request, peer: PeerRef): Promise<Response> {
  const type = request.headers.get('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    discard(request.body);
    throw new AnchorSyncError('ERR_UNSUPPORTED_MEDIA_TYPE', 'a pushed pack must be sent as application/json');
  }
  const declared = parseNonNegativeInt(request.headers.get('Content-Length'));
  if (declared !== undefined && declared > config.maxBodyBytes) {
    discard(request.body);
    throw new AnchorSyncError('ERR_PACK_TOO_LARGE', `body exceeds ${config.maxBodyBytes} bytes`);
  }
  // Counted while reading too: Content-Length may be absent (chunked) or a lie.
  const parsed = parseJsonBytes(await readLimited(request.body, config.maxBodyBytes));
  if (parsed === undefined) throw new AnchorSyncError('ERR_PACK_SCHEMA', 'request body is not valid UTF-8 JSON');
  // Only packs signed by keys pinned here for this org pass: the relay needs no other authentication.
  const outcome = await applyAnchorPack(config.ctx, parsed.value, { expect: peer, keepPack: true });
  const stored = outcome.status === 'applied';
  return json(stored ? 201 : 200, { stored, seq: outcome.seq });
}

function errorResponse(config: Config, error: unknown): Response {
  const code = isAnchorSyncError(error) && isWireCode(error.code) ? error.code : undefined;
  if (code === undefined || code === 'ERR_INTERNAL') {
    config.onError?.(error);
    return json(500, { error: { code: 'ERR_INTERNAL', message: 'internal error' } } satisfies WireError);
  }
  const headers = new Headers();
  if (code === 'ERR_METHOD_NOT_ALLOWED') headers.set('Allow', config.allow);
  if (code === 'ERR_POLICY_CAP') headers.set('Retry-After', String(secondsToNextUtcDay(config.clock())));
  const message = (error as AnchorSyncError).message.slice(0, MAX_ERROR_MESSAGE_LENGTH);
  return json(WIRE_STATUS[code]!, { error: { code, message } } satisfies WireError, headers);
}

/** Daily caps reset at 00:00 UTC (core policy), so that is when a retry can succeed. */
function secondsToNextUtcDay(now: number): number {
  const day = 86_400_000;
  return Math.max(1, Math.ceil((Math.floor(now / day) * day + day - now) / 1000));
}

function json(status: number, body: unknown, headers = new Headers()): Response {
  headers.set('Content-Type', 'application/json');
  headers.set('Cache-Control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers });
}
