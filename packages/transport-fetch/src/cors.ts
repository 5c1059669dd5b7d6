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

/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SEC = 600;

/** Checks configured origins: each must be a bare origin, so exact matching means what it says. */
export function checkCors(cors: CorsOptions | undefined): ReadonlySet<string> | undefined {
  if (cors === undefined) return undefined;
  const bare = (origin: unknown): boolean => {
    try {
      // Also refuses "null": it is no URL, though sandboxed pages send it.
      return new URL(origin as string).origin === origin;
    } catch {
      return false;
    }
  };
  if (!Array.isArray(cors.origins) || !cors.origins.every(bare)) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'cors.origins must be bare origins like https://app.example');
  }
  return new Set(cors.origins);
}

/**
 * Adds the CORS headers for the request's origin when it is allowed (always
 * `Vary: Origin`); with `allow`, the answer to a preflight, the grant of
 * those methods and the headers the protocol uses.
 */
export function addCorsHeaders(origins: ReadonlySet<string> | undefined, request: Request, headers: Headers, allow?: string): void {
  if (origins === undefined) return;
  headers.append('Vary', 'Origin');
  const origin = request.headers.get('Origin');
  if (origin === null || !origins.has(origin)) return;
  headers.set('Access-Control-Allow-Origin', origin);
  // Scripts may read the headers the protocol defines.
  headers.set('Access-Control-Expose-Headers', `ETag, ${REFRESH_AFTER_HEADER}, Retry-After`);
  if (allow === undefined) return;
  headers.set('Access-Control-Allow-Methods', allow);
  headers.set('Access-Control-Allow-Headers', 'Content-Type, If-None-Match');
  headers.set('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SEC));
}
