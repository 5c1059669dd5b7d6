/**
 * The responder's options, checked once at start: a bad option is the
 * operator's mistake, refused with `ERR_INVALID_ARGUMENT` before any message
 * is heard, never something to answer clients with.
 */
import { AnchorSyncError, MAX_PACKS_PER_PAGE, validatePolicy, type EngineContext, type StorageDriver } from '@anchorsync/core';
import { canPost, checkOrigin, isMessageSource, isWindowLike, type MessageSource, type PortTarget } from './endpoint.ts';
import type { ExtensionHandler, OpsConfig } from './ops.ts';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_PENDING,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  EXTENSION_OP,
  MAX_REFRESH_AFTER_SEC,
} from './protocol.ts';

/** Read ops a responder can serve; all by default. */
export type ReadOp = 'pull' | 'verify' | 'peers' | 'anchors' | 'sync-state';

const READ_OPS: readonly ReadOp[] = ['pull', 'verify', 'peers', 'anchors', 'sync-state'];

export interface ServePostMessageOptions {
  /** Whose pack log and anchors are served. */
  storage: StorageDriver;
  /** Where requests arrive: your `window` (requests from other windows), a MessagePort, a Worker, a worker's `self`. */
  listenOn: MessageSource;
  /** Windows only: exact origins allowed to ask. Others are dropped without an answer. */
  allowedOrigins?: readonly string[];
  /** Windows only: answer every origin (still replying to `event.origin`, never `'*'`). Default false. */
  allowAnyOrigin?: boolean;
  /** Relay mode: apply pushed packs (verified against the keys pinned here). Default false. */
  acceptPush?: boolean;
  /** Engine context for pushes (and the clock for `verify`); `storage` is the one above. */
  ctx?: Omit<EngineContext, 'storage'>;
  /** Read ops served. Default all. */
  ops?: readonly ReadOp[];
  /** `verify` accepts keys of a peer whose last pack expired. Default false (a freeze may hide a revocation). */
  allowStale?: boolean;
  /** Packs per pull page. Default core's. */
  pageSize?: number;
  /** Polling hint sent with every page, in seconds. Default none. */
  refreshAfterSec?: number;
  /** Extra ops, named `x-...`. */
  extensions?: Readonly<Record<string, ExtensionHandler>>;
  /** Requests worked on at once. Default 4. */
  concurrency?: number;
  /** Requests held, working and waiting; past it a request is answered "busy". Default 64. */
  maxPending?: number;
  /** Bytes of requests held. Default 32 MiB. */
  maxPendingBytes?: number;
  /** Largest request read. Default 8 MiB. */
  maxRequestBytes?: number;
  /** Called with every failure answered as a generic `ERR_INTERNAL`, and with replies that could not be posted. */
  onError?: (error: unknown) => void;
}

export interface ResponderConfig extends OpsConfig {
  listenOn: MessageSource;
  /** Window mode: allowed origins (`undefined` with allowAnyOrigin). Port mode: `false`. */
  origins: ReadonlySet<string> | undefined | false;
  port: PortTarget | undefined;
  concurrency: number;
  maxPending: number;
  maxPendingBytes: number;
  maxRequestBytes: number;
  onError: ((error: unknown) => void) | undefined;
}

export function checkResponderOptions(options: ServePostMessageOptions): ResponderConfig {
  const s = options.storage as Partial<StorageDriver> | undefined;
  if (!s || typeof s.get !== 'function' || typeof s.set !== 'function' || typeof s.list !== 'function') {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'storage must be a StorageDriver');
  }
  const { listenOn } = options;
  if (!isMessageSource(listenOn)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'listenOn must have addEventListener');
  const int = (value: number | undefined, what: string, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be an integer in ${min}..${max}`);
    }
    return value;
  };
  let origins: ResponderConfig['origins'];
  let port: PortTarget | undefined;
  if (isWindowLike(listenOn)) {
    if (options.allowAnyOrigin === true) {
      if (options.allowedOrigins !== undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'give allowedOrigins or allowAnyOrigin, not both');
      origins = undefined;
    } else {
      const list = options.allowedOrigins;
      if (!Array.isArray(list) || list.length === 0) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'a window responder needs allowedOrigins');
      origins = new Set(list.map((o, i) => checkOrigin(o, `allowedOrigins[${i}]`)));
    }
  } else {
    if (options.allowedOrigins !== undefined || options.allowAnyOrigin !== undefined) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'allowedOrigins does not apply to a MessagePort or Worker: whoever holds the port may ask');
    }
    if (!canPost(listenOn)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'a port responder needs listenOn with postMessage');
    origins = false;
    port = listenOn;
  }
  const extensions = new Map<string, ExtensionHandler>();
  for (const [name, handler] of Object.entries(options.extensions ?? {})) {
    if (!EXTENSION_OP.test(name) || typeof handler !== 'function') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `extension ${name} must be named x-... and be a function`);
    extensions.set(name, handler);
  }
  const reads = new Set<string>(options.ops ?? READ_OPS);
  for (const op of reads) if (!(READ_OPS as readonly string[]).includes(op)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `ops: ${String(op)} is not a read op`);
  const ctx: EngineContext = { ...options.ctx, storage: options.storage };
  // Checked now: a bad policy is the operator's mistake, not something to answer clients with.
  if (options.ctx?.policy !== undefined) ctx.policy = validatePolicy(options.ctx.policy);
  return {
    ctx,
    acceptPush: options.acceptPush === true,
    reads,
    pageSize: options.pageSize === undefined ? undefined : int(options.pageSize, 'pageSize', 1, MAX_PACKS_PER_PAGE, 1),
    refreshAfterSec: options.refreshAfterSec === undefined ? undefined : int(options.refreshAfterSec, 'refreshAfterSec', 0, MAX_REFRESH_AFTER_SEC, 0),
    allowStale: options.allowStale === true,
    extensions,
    listenOn,
    origins,
    port,
    concurrency: int(options.concurrency, 'concurrency', 1, 64, DEFAULT_CONCURRENCY),
    maxPending: int(options.maxPending, 'maxPending', 1, 65_536, DEFAULT_MAX_PENDING),
    maxPendingBytes: int(options.maxPendingBytes, 'maxPendingBytes', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_PENDING_BYTES),
    maxRequestBytes: int(options.maxRequestBytes, 'maxRequestBytes', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_REQUEST_BYTES),
    onError: options.onError,
  };
}
