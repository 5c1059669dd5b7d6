/**
 * @anchorsync/transport-fetch/client: `fetchTransport()`, the core
 * `Transport` over HTTP, speaking protocol.ts to a publisher or relay.
 * Everything the server says is untrusted: bodies are size-bounded and
 * shape-checked here, and core verifies every pack. Uses only fetch-standard
 * globals, so it runs in browsers, workers, Deno, Bun and Node.
 */
import { AnchorSyncError, isAnchorSyncError, validateId, type PullPage, type PullRequest, type PushResult, type Transport } from '@anchorsync/core';
import { readJson } from './body.ts';
import { intOption } from './options.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, MAX_ERROR_BODY_BYTES, MAX_ERROR_MESSAGE_LENGTH, MAX_REFRESH_AFTER_SEC, REFRESH_AFTER_HEADER } from './protocol.ts';
import { formatEtag, isWireCode, packsPath, parseNonNegativeInt } from './wire.ts';
import { abortedError, backoffDelay, DEFAULT_MAX_BACKOFF_MS, DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface FetchTransportOptions {
  /** Where the server's routes live: `https://anchors.example` or `https://example.com/anchors`. */
  baseUrl: string | URL;
  /** The fetch to use (default `globalThis.fetch`, looked up on each call). */
  fetch?: FetchLike;
  /** Extra request headers, e.g. for a gateway in front of the server. */
  headers?: Record<string, string>;
  /** Per attempt, including reading the body. Default 10 000. */
  timeoutMs?: number;
  /** Further attempts after a network error, timeout, 5xx or 429. Default 2. */
  retries?: number;
  /** Backoff base: attempt n waits up to `backoffMs * 2^n`. Default 200. */
  backoffMs?: number;
  /** Cap of one backoff wait. Default 5 000. */
  maxBackoffMs?: number;
  /** Longest `Retry-After` honoured; longer ones fail at once. Default 30 000. */
  maxRetryAfterMs?: number;
  /** Largest response body read. Default 64 MiB. */
  maxResponseBytes?: number;
  /** Uniform [0, 1) source for jitter. Default `Math.random`. */
  random?: () => number;
}

/** Reads a response into a result, or `undefined` when its status is not a success of this request. */
type Reader<T> = (res: Response) => Promise<T | undefined>;

/**
 * Makes a Transport that pulls from and pushes to an anchorsync HTTP server.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options.
 * @example
 * ```ts
 * import { fetchTransport } from '@anchorsync/transport-fetch/client'
 * const transport = fetchTransport({ baseUrl: 'https://anchors.org-a.example' })
 * await runAnchorSync({ storage, transport, peers: [{ ns: 'prod', orgId: 'org-a' }] })
 * ```
 */
export function fetchTransport(options: FetchTransportOptions): Transport {
  let base: URL | undefined;
  try {
    base = new URL(options.baseUrl);
  } catch {
    base = undefined;
  }
  if (!base || !/^https?:$/.test(base.protocol) || base.search || base.hash) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'baseUrl must be an http(s) URL without query or fragment');
  }
  // One leading slash only: "//host" would make the pack path protocol-relative.
  const basePath = base.pathname.replace(/\/+$/, '').replace(/^\/+/, '/');
  // Looked up per call and called unbound-safe: some runtimes reject `fetch` with a foreign `this`.
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = { ...options.headers, Accept: 'application/json' };
  const random = options.random ?? Math.random;
  const timeoutMs = intOption(options, 'timeoutMs', 1, 2_147_483_647, 10_000);
  const retries = intOption(options, 'retries', 0, 10, 2);
  const backoffMs = intOption(options, 'backoffMs', 0, 60_000, 200);
  const maxBackoffMs = intOption(options, 'maxBackoffMs', 0, 600_000, DEFAULT_MAX_BACKOFF_MS);
  const maxRetryAfterMs = intOption(options, 'maxRetryAfterMs', 0, 3_600_000, DEFAULT_MAX_RETRY_AFTER_MS);
  const maxResponseBytes = intOption(options, 'maxResponseBytes', 1, Infinity, DEFAULT_MAX_RESPONSE_BYTES);

  const urlOf = (ns: unknown, orgId: unknown): URL => new URL(packsPath(basePath, validateId(ns, 'ns'), validateId(orgId, 'orgId')), base);

  /** Runs attempts until one succeeds, one fails for good, or retries run out. */
  const exchange = async <T>(url: URL, init: RequestInit, signal: AbortSignal | undefined, read: Reader<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortedError(signal);
      // Aborted by the timer or by the caller's signal; which one is read from `signal` afterwards.
      const controller = new AbortController();
      const abort = () => controller.abort();
      const timer = setTimeout(abort, timeoutMs);
      signal?.addEventListener('abort', abort);
      let error: AnchorSyncError;
      try {
        const res = await fetch(url.href, { ...init, signal: controller.signal });
        const value = await read(res);
        if (value !== undefined) return value;
        error = await httpError(res);
      } catch (cause) {
        if (signal?.aborted) throw abortedError(signal);
        const timedOut = controller.signal.aborted;
        if (!timedOut && isAnchorSyncError(cause)) throw cause;
        error = timedOut
          ? new AnchorSyncError('ERR_TIMEOUT', `no answer within ${timeoutMs} ms`, { details: { timeoutMs } })
          : new AnchorSyncError('ERR_TRANSPORT', 'network error', { cause });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      }
      // Timeouts and network errors (no status), 5xx and 429 may pass; any other answer will not change.
      const { status, retryAfterSec: asked } = (error.details ?? {}) as { status?: number; retryAfterSec?: number };
      if (attempt >= retries || status! < 500 && status !== 429 || asked! * 1000 > maxRetryAfterMs) throw error;
      await sleep(asked === undefined ? backoffDelay(attempt, backoffMs, maxBackoffMs, random) : asked * 1000, signal);
    }
  };

  return {
    async pull(request: PullRequest): Promise<PullPage> {
      const url = urlOf(request.ns, request.orgId);
      const since = request.since;
      if (!Number.isSafeInteger(since) || since < 0) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'since must be a safe integer >= 0');
      url.searchParams.set('since', String(since));
      if (request.token !== undefined) url.searchParams.set('token', request.token);
      const tag = request.sinceHash === undefined ? undefined : formatEtag(since, request.sinceHash);
      return exchange(url, { headers: tag === undefined ? headers : { ...headers, 'If-None-Match': tag } }, request.signal, async (res) => {
        let page: PullPage;
        // A 304 has no body (fetch makes it null): nothing to discard.
        if (res.status === 304 && tag !== undefined) page = { packs: [], notModified: true };
        else if (res.status !== 200) return undefined;
        else {
          const { packs, next } = (await json(res, maxResponseBytes)) ?? {};
          if (!Array.isArray(packs) || (next !== undefined && typeof next !== 'string')) {
            throw new AnchorSyncError('ERR_TRANSPORT', 'server answered with a malformed page', { details: { status: 200 } });
          }
          page = next === undefined ? { packs } : { packs, next };
        }
        const refresh = parseNonNegativeInt(res.headers.get(REFRESH_AFTER_HEADER));
        if (refresh! <= MAX_REFRESH_AFTER_SEC) page.refreshAfterSec = refresh!;
        return page;
      });
    },

    async push(pack: unknown, pushOptions?: { signal?: AbortSignal }): Promise<PushResult> {
      const p = pack as { ns?: unknown; orgId?: unknown } | null | undefined;
      const init = { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(pack) };
      return exchange(urlOf(p?.ns, p?.orgId), init, pushOptions?.signal, async (res) => {
        if (res.status !== 200 && res.status !== 201) return undefined;
        const body = await json(res, MAX_ERROR_BODY_BYTES);
        if (typeof body?.stored !== 'boolean' || !Number.isSafeInteger(body.seq)) {
          throw new AnchorSyncError('ERR_TRANSPORT', 'server answered with a malformed push result', { details: { status: res.status } });
        }
        return { stored: body.stored, seq: body.seq as number };
      });
    },
  };

}

/**
 * Any JSON value, seen as something to read members of: on a string, number
 * or boolean a member reads as `undefined`, so `?.` is the only care needed.
 */
type Json = { readonly [member: string]: unknown } | null | undefined;

/** The JSON body, of at most `limit` bytes; one too large or not JSON is the server's fault, `ERR_TRANSPORT`. */
function json(res: Response, limit: number): Promise<Json> {
  return (readJson(res.body, limit) as Promise<Json>).catch((error: unknown) => {
    // A stream cut by a timeout or an abort fails with its own error, which passes through.
    throw isAnchorSyncError(error)
      ? new AnchorSyncError('ERR_TRANSPORT', `response ${error.message}`, { details: { status: res.status, ...error.details } })
      : error;
  });
}

/**
 * A non-success answer as an error: the server's code when it is one the
 * protocol defines, with the status and, on a 5xx or 429, the wait the
 * server asked for.
 */
async function httpError(res: Response): Promise<AnchorSyncError> {
  const status = res.status;
  const retryAfterSec = status >= 500 || status === 429 ? parseRetryAfter(res.headers.get('Retry-After'), Date.now()) : undefined;
  const wire = (await json(res, MAX_ERROR_BODY_BYTES).catch(() => null))?.error as Json;
  const details = retryAfterSec === undefined ? { status } : { status, retryAfterSec };
  return isWireCode(wire?.code)
    ? new AnchorSyncError(wire.code, `server: ${clean(wire.message)}`, { details })
    : new AnchorSyncError('ERR_TRANSPORT', `server answered HTTP ${status}`, { details });
}

/** A server's message, made safe to log: bounded, one line. */
function clean(message: unknown): string {
  return typeof message === 'string' ? message.slice(0, MAX_ERROR_MESSAGE_LENGTH).replace(/[\0-\x1f\x7f-\x9f\u2028\u2029]/g, ' ') : 'error';
}
