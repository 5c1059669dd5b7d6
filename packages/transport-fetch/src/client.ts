/**
 * `fetchTransport()`: the core `Transport` over HTTP, speaking protocol.ts to
 * a publisher or relay. Everything the server says is untrusted: bodies are
 * size-bounded and shape-checked here, and core verifies every pack.
 */
import { AnchorSyncError, isAnchorSyncError, validateId, type PullPage, type PullRequest, type PushResult, type Transport } from '@anchorsync/core';
import { discard, parseJsonBytes, readLimited } from './body.ts';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  formatEtag,
  isWireCode,
  MAX_ERROR_BODY_BYTES,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_REFRESH_AFTER_SEC,
  packsPath,
  parseNonNegativeInt,
  REFRESH_AFTER_HEADER,
} from './protocol.ts';
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

interface Config {
  origin: string;
  /** The base URL's path without trailing slash ('' at the root). */
  basePath: string;
  fetch: FetchLike;
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
  maxResponseBytes: number;
  random: () => number;
}

/** One attempt's failure, and whether another attempt could succeed. */
interface Failure {
  error: AnchorSyncError;
  retry: boolean;
  retryAfterMs?: number;
}

/**
 * Makes a Transport that pulls from and pushes to an anchorsync HTTP server.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options.
 * @example
 * ```ts
 * const transport = fetchTransport({ baseUrl: 'https://anchors.org-a.example' })
 * await runAnchorSync({ storage, transport, peers: [{ ns: 'prod', orgId: 'org-a' }] })
 * ```
 */
export function fetchTransport(options: FetchTransportOptions): Transport {
  const config = checkOptions(options);
  return {
    async pull(request: PullRequest): Promise<PullPage> {
      const ns = validateId(request.ns, 'ns');
      const orgId = validateId(request.orgId, 'orgId');
      if (!Number.isSafeInteger(request.since) || request.since < 0) {
        throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'since must be a safe integer >= 0');
      }
      const url = new URL(packsPath(config.basePath, ns, orgId), config.origin);
      url.searchParams.set('since', String(request.since));
      if (request.token !== undefined) url.searchParams.set('token', request.token);
      const headers: Record<string, string> = { ...config.headers, Accept: 'application/json' };
      const tag = request.sinceHash === undefined ? undefined : formatEtag(request.since, request.sinceHash);
      if (tag !== undefined) headers['If-None-Match'] = tag;
      return exchange(config, url.href, { method: 'GET', headers }, request.signal, async (res, signal) => {
        const refresh = parseNonNegativeInt(res.headers.get(REFRESH_AFTER_HEADER));
        const hint = refresh !== undefined && refresh <= MAX_REFRESH_AFTER_SEC ? { refreshAfterSec: refresh } : {};
        if (res.status === 304 && tag !== undefined) {
          discard(res.body);
          return { packs: [], notModified: true, ...hint };
        }
        if (res.status !== 200) return undefined;
        const body = (await readJson(res, config.maxResponseBytes, signal)) as { packs?: unknown; next?: unknown } | null;
        if (typeof body !== 'object' || body === null || !Array.isArray(body.packs) || (body.next !== undefined && typeof body.next !== 'string')) {
          throw new AnchorSyncError('ERR_TRANSPORT', 'server answered with something that is not a page', { details: { status: 200 } });
        }
        return { packs: body.packs, ...(body.next === undefined ? {} : { next: body.next }), ...hint };
      });
    },

    async push(pack: unknown, pushOptions?: { signal?: AbortSignal }): Promise<PushResult> {
      const p = (pack ?? {}) as { ns?: unknown; orgId?: unknown };
      const url = new URL(packsPath(config.basePath, validateId(p.ns, 'pack.ns'), validateId(p.orgId, 'pack.orgId')), config.origin);
      const headers = { ...config.headers, Accept: 'application/json', 'Content-Type': 'application/json' };
      const init = { method: 'POST', headers, body: JSON.stringify(pack) };
      return exchange(config, url.href, init, pushOptions?.signal, async (res, signal) => {
        if (res.status !== 200 && res.status !== 201) return undefined;
        const body = (await readJson(res, MAX_ERROR_BODY_BYTES, signal)) as { stored?: unknown; seq?: unknown } | null;
        if (typeof body !== 'object' || body === null || typeof body.stored !== 'boolean' || !Number.isSafeInteger(body.seq)) {
          throw new AnchorSyncError('ERR_TRANSPORT', 'server answered a push with something that is not a push result', {
            details: { status: res.status },
          });
        }
        return { stored: body.stored, seq: body.seq as number };
      });
    },
  };
}

function checkOptions(options: FetchTransportOptions): Config {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'baseUrl must be an absolute http(s) URL');
  }
  if ((base.protocol !== 'https:' && base.protocol !== 'http:') || base.search !== '' || base.hash !== '') {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'baseUrl must be an http(s) URL without query or fragment');
  }
  const int = (value: number | undefined, what: string, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be an integer in ${min}..${max}`);
    }
    return value;
  };
  const custom = options.fetch;
  return {
    origin: base.origin,
    // One leading slash only: "//host" would make the pack path protocol-relative.
    basePath: base.pathname.replace(/\/+$/, '').replace(/^\/+/, '/'),
    // Looked up per call and called unbound-safe: some runtimes reject `fetch` with a foreign `this`.
    fetch: custom ?? ((input, init) => globalThis.fetch(input, init)),
    headers: { ...options.headers },
    timeoutMs: int(options.timeoutMs, 'timeoutMs', 1, 2_147_483_647, 10_000),
    retries: int(options.retries, 'retries', 0, 10, 2),
    backoffMs: int(options.backoffMs, 'backoffMs', 0, 60_000, 200),
    maxBackoffMs: int(options.maxBackoffMs, 'maxBackoffMs', 0, 600_000, DEFAULT_MAX_BACKOFF_MS),
    maxRetryAfterMs: int(options.maxRetryAfterMs, 'maxRetryAfterMs', 0, 3_600_000, DEFAULT_MAX_RETRY_AFTER_MS),
    maxResponseBytes: int(options.maxResponseBytes, 'maxResponseBytes', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_RESPONSE_BYTES),
    random: options.random ?? Math.random,
  };
}

type Reader<T> = (res: Response, signal: AbortSignal) => Promise<T | undefined>;

/** Runs attempts until one succeeds, one fails for good, or retries run out. */
async function exchange<T>(config: Config, url: string, init: RequestInit, signal: AbortSignal | undefined, read: Reader<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw abortedError(signal);
    const result = await attemptOnce(config, url, init, signal, read);
    if (!('error' in result)) return result.value;
    if (!result.retry || attempt >= config.retries) throw result.error;
    const asked = result.retryAfterMs;
    if (asked !== undefined && asked > config.maxRetryAfterMs) throw result.error;
    await sleep(asked ?? backoffDelay(attempt, config.backoffMs, config.maxBackoffMs, config.random), signal);
  }
}

async function attemptOnce<T>(
  config: Config,
  url: string,
  init: RequestInit,
  signal: AbortSignal | undefined,
  read: Reader<T>,
): Promise<{ value: T } | Failure> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, config.timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await config.fetch(url, { ...init, signal: controller.signal });
    const value = await read(res, controller.signal);
    if (value !== undefined) return { value };
    return await httpFailure(res, controller.signal);
  } catch (error) {
    if (signal?.aborted) return { error: abortedError(signal), retry: false };
    if (timedOut) {
      const error = new AnchorSyncError('ERR_TIMEOUT', `no answer within ${config.timeoutMs} ms`, { details: { timeoutMs: config.timeoutMs } });
      return { error, retry: true };
    }
    if (isAnchorSyncError(error)) return { error, retry: false };
    return { error: new AnchorSyncError('ERR_TRANSPORT', 'network error', { cause: error }), retry: true };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A non-success answer as an error: the server's code when it is one the protocol defines. */
async function httpFailure(res: Response, signal: AbortSignal): Promise<Failure> {
  const status = res.status;
  const retry = status >= 500 || status === 429;
  const retryAfterMs = retry ? parseRetryAfter(res.headers.get('Retry-After'), Date.now()) : undefined;
  let wire: { code?: unknown; message?: unknown } | undefined;
  try {
    const body = (await readJson(res, MAX_ERROR_BODY_BYTES, signal)) as { error?: { code?: unknown; message?: unknown } } | null;
    if (typeof body?.error === 'object' && body.error !== null) wire = body.error;
  } catch {
    wire = undefined;
  }
  const details = { status, ...(retryAfterMs === undefined ? {} : { retryAfterSec: Math.ceil(retryAfterMs / 1000) }) };
  const error =
    wire !== undefined && isWireCode(wire.code)
      ? new AnchorSyncError(wire.code, `server: ${clean(wire.message)}`, { details })
      : new AnchorSyncError('ERR_TRANSPORT', `server answered HTTP ${status}`, { details });
  return { error, retry, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** A server's message, made safe to log: bounded, one line. */
function clean(message: unknown): string {
  if (typeof message !== 'string') return 'error';
  return message.slice(0, MAX_ERROR_MESSAGE_LENGTH).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

async function readJson(res: Response, limit: number, signal: AbortSignal): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(res.body, limit);
  } catch (error) {
    if (signal.aborted) throw error;
    if (isAnchorSyncError(error, 'ERR_PACK_TOO_LARGE')) {
      throw new AnchorSyncError('ERR_TRANSPORT', `response body exceeds ${limit} bytes`, { details: { status: res.status, limit } });
    }
    throw error;
  }
  const parsed = parseJsonBytes(bytes);
  if (parsed === undefined) throw new AnchorSyncError('ERR_TRANSPORT', 'server answered with invalid JSON', { details: { status: res.status } });
  return parsed.value;
}
