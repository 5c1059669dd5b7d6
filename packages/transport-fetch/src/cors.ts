/**
 * CORS for the pack routes: browsers on the listed origins (exact match) may
 * pull, and push when the server relays. Nothing is allowed by wildcard, and
 * no credentials are involved: the protocol has none.
 */
import { AnchorSyncError } from '@anchorsync/core';
import { REFRESH_AFTER_HEADER } from './protocol.ts';

export interface CorsOptions {
  /** Origins allowed to call, each exactly as a browser sends it (`https://app.example`). */
  origins: readonly string[];
}

/** Headers a script may read: the ones the protocol defines. */
const EXPOSE = `ETag, ${REFRESH_AFTER_HEADER}, Retry-After`;
/** Request headers a client sends beyond the CORS-safelisted ones. */
const ALLOW_HEADERS = 'Content-Type, If-None-Match';
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SEC = 600;

/** Checks configured origins: each must be a bare origin, so exact matching means what it says. */
export function checkCors(cors: CorsOptions | undefined): ReadonlySet<string> | undefined {
  if (cors === undefined) return undefined;
  if (!Array.isArray(cors.origins)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'cors.origins must be an array');
  for (const origin of cors.origins) {
    let parsed: string | undefined;
    try {
      parsed = typeof origin === 'string' ? new URL(origin).origin : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed !== origin || parsed === 'null') {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `cors origin ${JSON.stringify(origin)} is not a bare origin like https://app.example`);
    }
  }
  return new Set(cors.origins);
}

/** Adds the CORS response headers for `origin` when it is allowed; always `Vary: Origin`. */
export function addCorsHeaders(origins: ReadonlySet<string> | undefined, origin: string | null, headers: Headers): void {
  if (origins === undefined) return;
  headers.append('Vary', 'Origin');
  if (origin === null || !origins.has(origin)) return;
  headers.set('Access-Control-Allow-Origin', origin);
  headers.set('Access-Control-Expose-Headers', EXPOSE);
}

/** The answer to `OPTIONS`: a preflight grant for an allowed origin, else just `Allow`. */
export function preflight(origins: ReadonlySet<string> | undefined, request: Request, allow: string): Response {
  const headers = new Headers({ Allow: allow });
  const origin = request.headers.get('Origin');
  if (origins !== undefined && origin !== null && origins.has(origin)) {
    headers.set('Access-Control-Allow-Methods', allow);
    headers.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
    headers.set('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SEC));
  }
  return new Response(null, { status: 204, headers });
}
