/**
 * `postMessageTransport()`: the core `Transport`, plus the reads an app's UI
 * needs, over postMessage to a responder in an iframe, a window, a Worker or
 * at the other end of a MessagePort. The protocol is fixed in protocol.ts;
 * every reply is schema-checked here and core verifies every pack.
 */
import {
  AnchorSyncError,
  bytesToB64u,
  defaultRandom,
  validateId,
  type Anchor,
  type MessageVerdict,
  type PullPage,
  type PullRequest,
  type PushResult,
  type SyncState,
  type Transport,
  type VerifyMessageInput,
} from '@anchorsync/core';
import { canPost, checkOrigin, isMessageSource, isWindowLike, type MessageEventLike, type MessageSource, type PortTarget, type WindowTarget } from './endpoint.ts';
import { plainJsonSize } from './plain-data.ts';
import {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_REPLY_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_TIMEOUT_MS,
  envelopeId,
  EXTENSION_OP,
  PROTOCOL_VERSION,
  type ExtensionOp,
} from './protocol.ts';
import { checkAnchors, checkPage, checkPeers, checkPushResult, checkSyncState, checkVerdict, parseReply, replyError, type PeerSummary } from './reply-schema.ts';

export interface PostMessageTransportOptions {
  /** Who answers: an iframe's `contentWindow`, a Window, a Worker, a SharedWorker's `port`, a MessagePort. */
  target: WindowTarget | PortTarget;
  /** Required for a Window target: its exact origin, e.g. `https://keys.example`. Never `'*'`. */
  targetOrigin?: string;
  /** Where replies arrive. Required for a Window target (your own `window`); default for a port or Worker: `target`. */
  listenOn?: MessageSource;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  /** Aborting it fails every waiting request with `ERR_ABORTED` and closes the transport. */
  signal?: AbortSignal;
  /** Requests waiting at once; past it a request fails with `ERR_TRANSPORT`. Default 64. */
  maxInFlight?: number;
  /** Largest request sent (a pushed pack). Default 8 MiB. */
  maxRequestBytes?: number;
  /** Largest reply read. Default 64 MiB. */
  maxReplyBytes?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** The core Transport plus the responder's reads, for an app's UI. */
export interface PostMessageTransport extends Transport {
  /** Asks the responder whether `kid` of (ns, orgId) signed `message`: core `verifyPeerMessage` on its storage. */
  verifyMessage(input: VerifyMessageInput, options?: CallOptions): Promise<MessageVerdict>;
  /** The peer organisations the responder knows, with their sync state. */
  listPeers(options?: CallOptions & { ns?: string }): Promise<{ peers: PeerSummary[]; truncated: boolean }>;
  getAnchors(ns: string, orgId: string, options?: CallOptions): Promise<Anchor[]>;
  getSyncState(ns: string, orgId: string, options?: CallOptions): Promise<SyncState | undefined>;
  /** Calls an extension op (`x-...`) the responder registered; its result is plain JSON, unchecked. */
  call(op: ExtensionOp, params?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** Requests waiting for a reply now. */
  readonly inFlight: number;
  /** Fails every waiting request with `ERR_ABORTED` and refuses new ones. */
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: AnchorSyncError): void;
  check(result: unknown): unknown;
  timer: ReturnType<typeof setTimeout>;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface Config {
  post(message: unknown): void;
  listenOn: MessageSource;
  /** Window mode: the only origin and source a reply may come from. */
  from: { origin: string; source: unknown } | undefined;
  timeoutMs: number;
  maxInFlight: number;
  maxRequestBytes: number;
  maxReplyBytes: number;
}

function aborted(reason: unknown, message = 'the request was aborted'): AnchorSyncError {
  return new AnchorSyncError('ERR_ABORTED', message, { cause: reason });
}

/**
 * Makes a Transport that talks to a `servePostMessage` responder.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options, among
 * them a `targetOrigin` of `'*'` and a Window target without `targetOrigin`
 * or `listenOn`.
 * @example
 * ```ts
 * const frame = document.querySelector('iframe')!
 * const keys = postMessageTransport({ target: frame.contentWindow!, targetOrigin: 'https://keys.example', listenOn: window })
 * const verdict = await keys.verifyMessage({ ns: 'prod', orgId: 'org-b', kid: 'chat-2026', message, signature })
 * ```
 */
export function postMessageTransport(options: PostMessageTransportOptions): PostMessageTransport {
  const config = checkOptions(options);
  const pending = new Map<string, Pending>();
  // The random part keeps two clients on one window apart and makes ids unguessable.
  const prefix = bytesToB64u(defaultRandom(9));
  let counter = 0;
  let listening = false;
  let closed: AnchorSyncError | undefined;

  const finish = (id: string): Pending | undefined => {
    const entry = pending.get(id);
    if (!entry) return undefined;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.signal?.removeEventListener('abort', entry.onAbort);
    if (pending.size === 0 && listening) {
      config.listenOn.removeEventListener('message', onMessage);
      listening = false;
    }
    return entry;
  };

  function onMessage(event: MessageEventLike): void {
    // Window mode: only the target itself, at the origin we posted to, can answer.
    if (config.from && (event.origin !== config.from.origin || event.source !== config.from.source)) return;
    const id = envelopeId(event.data);
    // Not ours, late (timed out, aborted) or a duplicate: ignored before any further work.
    const entry = id === undefined ? undefined : finish(id);
    if (!entry) return;
    try {
      const sized = plainJsonSize(event.data, config.maxReplyBytes);
      if ('error' in sized) {
        const what = sized.error === 'too-large' ? `more than ${config.maxReplyBytes} bytes` : 'something that is not plain JSON data';
        throw new AnchorSyncError('ERR_TRANSPORT', `responder answered with ${what}`);
      }
      const reply = parseReply(event.data);
      if (!reply.ok) throw replyError(reply.error);
      entry.resolve(entry.check(reply.result));
    } catch (error) {
      entry.reject(error as AnchorSyncError);
    }
  }

  const request = <T>(op: string, members: Record<string, unknown>, signal: AbortSignal | undefined, check: (result: unknown) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(closed);
      if (signal?.aborted) return reject(aborted(signal.reason));
      if (pending.size >= config.maxInFlight) {
        return reject(new AnchorSyncError('ERR_TRANSPORT', 'too many requests in flight', { details: { maxInFlight: config.maxInFlight } }));
      }
      const id = `${prefix}.${(++counter).toString(36)}`;
      const message = { ...members, anchorsync: PROTOCOL_VERSION, id, op };
      const sized = plainJsonSize(message, config.maxRequestBytes);
      if ('error' in sized) {
        return reject(
          sized.error === 'too-large'
            ? new AnchorSyncError('ERR_PACK_TOO_LARGE', `request exceeds ${config.maxRequestBytes} bytes`)
            : new AnchorSyncError('ERR_INVALID_ARGUMENT', 'request is not plain JSON data'),
        );
      }
      const entry: Pending = {
        resolve: resolve as (value: unknown) => void,
        reject,
        check,
        signal,
        timer: setTimeout(() => {
          finish(id)?.reject(new AnchorSyncError('ERR_TIMEOUT', `no answer within ${config.timeoutMs} ms`, { details: { timeoutMs: config.timeoutMs } }));
        }, config.timeoutMs),
        onAbort: () => finish(id)?.reject(aborted(signal?.reason)),
      };
      pending.set(id, entry);
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      if (!listening) {
        config.listenOn.addEventListener('message', onMessage);
        config.listenOn.start?.();
        listening = true;
      }
      try {
        config.post(message);
      } catch (cause) {
        finish(id)?.reject(new AnchorSyncError('ERR_TRANSPORT', 'postMessage failed', { cause }));
      }
    });

  const closeAll = (error: AnchorSyncError): void => {
    closed ??= error;
    for (const id of [...pending.keys()]) finish(id)?.reject(error);
  };
  if (options.signal?.aborted) closeAll(aborted(options.signal.reason, 'the transport was aborted'));
  else options.signal?.addEventListener('abort', () => closeAll(aborted(options.signal?.reason, 'the transport was aborted')), { once: true });

  return {
    async pull(req: PullRequest): Promise<PullPage> {
      const members: Record<string, unknown> = { ns: validateId(req.ns, 'ns'), orgId: validateId(req.orgId, 'orgId'), since: req.since };
      if (!Number.isSafeInteger(req.since) || req.since < 0) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'since must be a safe integer >= 0');
      if (req.sinceHash !== undefined) members.sinceHash = req.sinceHash;
      if (req.token !== undefined) members.token = req.token;
      return request('pull', members, req.signal, checkPage);
    },
    async push(pack: unknown, pushOptions?: CallOptions): Promise<PushResult> {
      const p = (pack ?? {}) as { ns?: unknown; orgId?: unknown };
      const members = { ns: validateId(p.ns, 'pack.ns'), orgId: validateId(p.orgId, 'pack.orgId'), pack };
      return request('push', members, pushOptions?.signal, checkPushResult);
    },
    async verifyMessage(input: VerifyMessageInput, callOptions?: CallOptions): Promise<MessageVerdict> {
      const orgId = validateId(input.orgId, 'orgId');
      const kid = validateId(input.kid, 'kid');
      const members: Record<string, unknown> = { ns: validateId(input.ns, 'ns'), orgId, kid };
      if (typeof input.message === 'string') members.message = input.message;
      else if (input.message instanceof Uint8Array) members.messageB64u = bytesToB64u(input.message);
      else throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'message must be a string or a Uint8Array');
      if (typeof input.signature === 'string') members.signature = input.signature;
      else if (input.signature instanceof Uint8Array) members.signature = bytesToB64u(input.signature);
      else throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'signature must be base64url or a Uint8Array');
      if (input.signedAt !== undefined) members.signedAt = input.signedAt;
      return request('verify', members, callOptions?.signal, (r) => checkVerdict(r, orgId, kid));
    },
    async listPeers(callOptions: CallOptions & { ns?: string } = {}) {
      const ns = callOptions.ns === undefined ? undefined : validateId(callOptions.ns, 'ns');
      return request('peers', ns === undefined ? {} : { ns }, callOptions.signal, (r) => checkPeers(r, ns));
    },
    async getAnchors(ns: string, orgId: string, callOptions?: CallOptions): Promise<Anchor[]> {
      const ref = { ns: validateId(ns, 'ns'), orgId: validateId(orgId, 'orgId') };
      return request('anchors', ref, callOptions?.signal, (r) => checkAnchors(r, ref.orgId));
    },
    async getSyncState(ns: string, orgId: string, callOptions?: CallOptions): Promise<SyncState | undefined> {
      const ref = { ns: validateId(ns, 'ns'), orgId: validateId(orgId, 'orgId') };
      return request('sync-state', ref, callOptions?.signal, (r) => checkSyncState(r, ref.ns, ref.orgId));
    },
    async call(op: ExtensionOp, params: Record<string, unknown> = {}, callOptions?: CallOptions): Promise<unknown> {
      if (typeof op !== 'string' || !EXTENSION_OP.test(op)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'op must be an extension op like x-sync');
      return request(op, { params }, callOptions?.signal, (r) => r);
    },
    get inFlight() {
      return pending.size;
    },
    close() {
      closeAll(aborted(undefined, 'the transport was closed'));
    },
  };
}

function checkOptions(options: PostMessageTransportOptions): Config {
  const { target } = options;
  if (!canPost(target)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'target must have postMessage');
  const int = (value: number | undefined, what: string, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be an integer in ${min}..${max}`);
    }
    return value;
  };
  const limits = {
    timeoutMs: int(options.timeoutMs, 'timeoutMs', 1, 2_147_483_647, DEFAULT_TIMEOUT_MS),
    maxInFlight: int(options.maxInFlight, 'maxInFlight', 1, 65_536, DEFAULT_MAX_IN_FLIGHT),
    maxRequestBytes: int(options.maxRequestBytes, 'maxRequestBytes', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_REQUEST_BYTES),
    maxReplyBytes: int(options.maxReplyBytes, 'maxReplyBytes', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_REPLY_BYTES),
  };
  if (options.targetOrigin !== undefined || isWindowLike(target)) {
    if (options.targetOrigin === undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'a Window target needs targetOrigin');
    const origin = checkOrigin(options.targetOrigin, 'targetOrigin');
    if (!isMessageSource(options.listenOn)) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'a Window target needs listenOn: the window replies arrive on (your own window)');
    }
    const win = target as WindowTarget;
    return { ...limits, post: (m) => win.postMessage(m, origin), listenOn: options.listenOn, from: { origin, source: target } };
  }
  const listenOn = options.listenOn ?? target;
  if (!isMessageSource(listenOn)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'listenOn (default: target) must have addEventListener');
  const port = target as PortTarget;
  return { ...limits, post: (m) => port.postMessage(m), listenOn, from: undefined };
}
