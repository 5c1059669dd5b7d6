/**
 * The responder's options, checked once at start: a bad option is the
 * operator's mistake, refused with `ERR_INVALID_ARGUMENT` before any message
 * is heard, never something to answer clients with.
 */
import { MAX_PACKS_PER_PAGE, validatePolicy, type EngineContext, type StorageDriver } from '@anchorsync/core';
import { checkOrigin, hasMethod, isMessageSource, isWindowLike, type MessageSource, type PortTarget } from './endpoint.ts';
import type { ExtensionHandler, OpsConfig } from './ops.ts';
import { intOption, invalidOption } from './options.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, DEFAULT_MAX_REQUEST_BYTES, EXTENSION_OP, MAX_REFRESH_AFTER_SEC } from './protocol.ts';

/** Read ops a responder can serve; all by default. */
export type ReadOp = 'pull' | 'verify' | 'peers' | 'anchors' | 'sync-state';

const READ_OPS: readonly string[] = ['pull', 'verify', 'peers', 'anchors', 'sync-state'] satisfies ReadOp[];

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
  const { storage, listenOn, allowedOrigins, allowAnyOrigin } = options;
  if (!hasMethod(storage, 'get') || !hasMethod(storage, 'set') || !hasMethod(storage, 'list')) throw invalidOption('storage must be a StorageDriver');
  if (!isMessageSource(listenOn)) throw invalidOption('listenOn must have addEventListener');
  let origins: ResponderConfig['origins'] = false;
  let port: PortTarget | undefined;
  if (isWindowLike(listenOn)) {
    // Exactly one of the two: an empty or missing list must not mean "anyone".
    if (allowAnyOrigin === true ? allowedOrigins !== undefined : !allowedOrigins?.length) {
      throw invalidOption('a window responder needs allowedOrigins or allowAnyOrigin, not both');
    }
    if (allowedOrigins) origins = new Set(Array.from(allowedOrigins, (o, i) => checkOrigin(o, `allowedOrigins[${i}]`)));
    else origins = undefined;
  } else {
    // Over a port there is no origin to check: refused rather than silently not applied.
    if (allowedOrigins !== undefined || allowAnyOrigin !== undefined || !hasMethod(listenOn, 'postMessage')) {
      throw invalidOption('a port responder needs listenOn with postMessage and takes no allowedOrigins: whoever holds the port may ask');
    }
    port = listenOn as unknown as PortTarget;
  }
  const extensions = new Map(Object.entries(options.extensions ?? {}));
  for (const [name, handler] of extensions) if (!EXTENSION_OP.test(name) || typeof handler !== 'function') throw invalidOption(`extension ${name} must be named x-... and be a function`);
  const reads = new Set<string>(options.ops ?? READ_OPS);
  for (const op of reads) if (!READ_OPS.includes(op)) throw invalidOption(`ops: ${String(op)} is not a read op`);
  const ctx: EngineContext = { ...options.ctx, storage };
  // Checked now: a bad policy is the operator's mistake, not something to answer clients with.
  if (ctx.policy !== undefined) ctx.policy = validatePolicy(ctx.policy);
  return {
    ctx,
    acceptPush: options.acceptPush === true,
    reads,
    pageSize: intOption(options, 'pageSize', 1, MAX_PACKS_PER_PAGE, undefined),
    refreshAfterSec: intOption(options, 'refreshAfterSec', 0, MAX_REFRESH_AFTER_SEC, undefined),
    allowStale: options.allowStale === true,
    extensions,
    listenOn,
    origins,
    port,
    concurrency: intOption(options, 'concurrency', 1, 64, DEFAULT_CONCURRENCY),
    maxPending: intOption(options, 'maxPending', 1, 65_536, DEFAULT_MAX_PENDING),
    maxPendingBytes: intOption(options, 'maxPendingBytes', 1, Infinity, DEFAULT_MAX_PENDING_BYTES),
    maxRequestBytes: intOption(options, 'maxRequestBytes', 1, Infinity, DEFAULT_MAX_REQUEST_BYTES),
    onError: options.onError,
  };
}
