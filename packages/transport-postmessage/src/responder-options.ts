/**
 * The responder's options, checked once at start: a bad option is the
 * operator's mistake, refused with `ERR_INVALID_ARGUMENT` before any message
 * is heard, never something to answer clients with.
 */
import { checkOrigin, hasMethod, isMessageSource, isWindowLike, type MessageSource, type PortTarget } from './endpoint.ts';
import { intOption, invalidOption } from './options.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, DEFAULT_MAX_REQUEST_BYTES, OP_NAME } from './protocol.ts';

/** Facts about a request an op may use; the origin is `''` on a port. */
export interface RequestInfo {
  origin: string;
}

/**
 * One op: gets the request's members (everything but `anchorsync`, `id`
 * and `op`: plain JSON, size-bounded, otherwise unchecked) and returns its
 * result, plain JSON data. It checks the members itself and throws an
 * `AnchorSyncError` with a wire code (`ERR_INVALID_ARGUMENT` for bad
 * members) to refuse; anything else it throws is answered `ERR_INTERNAL`.
 */
export type OpHandler = (members: Record<string, unknown>, info: RequestInfo) => unknown;

export interface ServePostMessageOptions {
  /** Where requests arrive: your `window` (requests from other windows), a MessagePort, a Worker, a worker's `self`. */
  listenOn: MessageSource;
  /** Windows only: exact origins allowed to ask. Others are dropped without an answer. */
  allowedOrigins?: readonly string[];
  /** Windows only: answer every origin (still replying to `event.origin`, never `'*'`). Default false. */
  allowAnyOrigin?: boolean;
  /** The ops served, by name: the protocol's from `./ops` (`pull: pullOp(storage)`), and the application's own (`x-...`). */
  ops: Readonly<Record<string, OpHandler>>;
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

export interface ResponderConfig {
  listenOn: MessageSource;
  /** Window mode: allowed origins (`undefined` with allowAnyOrigin). Port mode: `false`. */
  origins: ReadonlySet<string> | undefined | false;
  port: PortTarget | undefined;
  ops: ReadonlyMap<string, OpHandler>;
  concurrency: number;
  maxPending: number;
  maxPendingBytes: number;
  maxRequestBytes: number;
  onError: ((error: unknown) => void) | undefined;
}

export function checkResponderOptions(options: ServePostMessageOptions): ResponderConfig {
  const { listenOn, allowedOrigins, allowAnyOrigin } = options;
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
  // A Map of own entries: a request for `constructor` or `__proto__` finds nothing.
  const ops = new Map(Object.entries(options.ops ?? {}));
  if (ops.size === 0) throw invalidOption('ops must name at least one op');
  for (const [name, handler] of ops) if (!OP_NAME.test(name) || typeof handler !== 'function') throw invalidOption(`ops: ${name} must be an op name with a function`);
  return {
    listenOn,
    origins,
    port,
    ops,
    concurrency: intOption(options, 'concurrency', 1, 64, DEFAULT_CONCURRENCY),
    maxPending: intOption(options, 'maxPending', 1, 65_536, DEFAULT_MAX_PENDING),
    maxPendingBytes: intOption(options, 'maxPendingBytes', 1, Infinity, DEFAULT_MAX_PENDING_BYTES),
    maxRequestBytes: intOption(options, 'maxRequestBytes', 1, Infinity, DEFAULT_MAX_REQUEST_BYTES),
    onError: options.onError,
  };
}
