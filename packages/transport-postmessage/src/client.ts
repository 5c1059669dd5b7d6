/**
 * @anchorsync/transport-postmessage/client: `postMessageTransport()`, the
 * core `Transport` plus the reads an app's UI needs, over postMessage to a
 * `servePostMessage` responder in an iframe, a window, a Worker or at the
 * other end of a MessagePort. The protocol is fixed in protocol.ts; every
 * reply is schema-checked here and core verifies every pack.
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
import { checkOrigin, hasMethod, isMessageSource, isWindowLike, type MessageEventLike, type MessageSource, type PortTarget, type WindowTarget } from './endpoint.ts';
import { intOption, invalidOption } from './options.ts';
import { plainJsonSize } from './plain-data.ts';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_TIMEOUT_MS, EXTENSION_OP, PROTOCOL_VERSION, type ExtensionOp } from './protocol.ts';
import { envelopeId } from './wire.ts';
import { checkAnchors, checkPage, checkPeers, checkPushResult, checkSyncState, checkVerdict, replyOf, type PeerSummary } from './reply-schema.ts';

export type { PeerSummary } from './reply-schema.ts';
export type { MessageEventLike, MessageListener, MessageSource, PortTarget, WindowTarget } from './endpoint.ts';
export type { ExtensionOp } from './protocol.ts';

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

const aborted = (reason: unknown, message = 'the request was aborted'): AnchorSyncError => new AnchorSyncError('ERR_ABORTED', message, { cause: reason });

/**
 * Makes a Transport that talks to a `servePostMessage` responder.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options, among
 * them a `targetOrigin` of `'*'` and a Window target without `targetOrigin`
 * or `listenOn`.
 * @example
 * ```ts
 * import { postMessageTransport } from '@anchorsync/transport-postmessage/client'
 * const frame = document.querySelector('iframe')!
 * const keys = postMessageTransport({ target: frame.contentWindow!, targetOrigin: 'https://keys.example', listenOn: window })
 * const verdict = await keys.verifyMessage({ ns: 'prod', orgId: 'org-b', kid: 'chat-2026', message, signature })
 * ```
 */
export function postMessageTransport(options: PostMessageTransportOptions): PostMessageTransport {
  const { target, targetOrigin } = options;
  if (!hasMethod(target, 'postMessage')) throw invalidOption('target must have postMessage');
  const timeoutMs = intOption(options, 'timeoutMs', 1, 2_147_483_647, DEFAULT_TIMEOUT_MS);
  const maxInFlight = intOption(options, 'maxInFlight', 1, 65_536, DEFAULT_MAX_IN_FLIGHT);
  const maxRequestBytes = intOption(options, 'maxRequestBytes', 1, Infinity, DEFAULT_MAX_REQUEST_BYTES);
  const maxReplyBytes = intOption(options, 'maxReplyBytes', 1, Infinity, DEFAULT_MAX_REPLY_BYTES);
  // A Window needs the exact origin to post to and to accept replies from; a port has no origin.
  const isWindow = targetOrigin !== undefined || isWindowLike(target);
  const origin = isWindow ? checkOrigin(targetOrigin, 'targetOrigin') : undefined;
  const listenOn = isWindow ? options.listenOn : (options.listenOn ?? target);
  if (!isMessageSource(listenOn)) throw invalidOption('listenOn must have addEventListener (for a Window target: your own window)');

  /** Each waiting request's `done`: it resolves or rejects the request and forgets it. */
  const pending = new Map<string, (error: unknown, result?: unknown) => void>();
  // The random part keeps two clients on one window apart and makes ids unguessable.
  const prefix = bytesToB64u(defaultRandom(9));
  let counter = 0;
  let closed: AnchorSyncError | undefined;

  function onMessage(event: MessageEventLike): void {
    // Window mode: only the target itself, at the origin we posted to, can answer.
    if (isWindow && (event.origin !== origin || event.source !== target)) return;
    // Not ours, late (timed out, aborted) or a duplicate: ignored before any further work.
    const done = pending.get(envelopeId(event.data)!);
    if (!done) return;
    try {
      done(undefined, replyOf(event.data, maxReplyBytes));
    } catch (error) {
      done(error);
    }
  }

  const request = <T>(op: string, members: object, signal: AbortSignal | undefined, check: (result: unknown) => T): Promise<T> =>
    new Promise<unknown>((resolve, reject) => {
      if (closed || signal?.aborted) throw closed ?? aborted(signal!.reason);
      if (pending.size >= maxInFlight) throw new AnchorSyncError('ERR_TRANSPORT', 'too many requests in flight', { details: { maxInFlight } });
      const id = `${prefix}.${(++counter).toString(36)}`;
      // Members left undefined are left out, as JSON would: structured clone would keep them.
      const message = Object.fromEntries(Object.entries({ ...members, anchorsync: PROTOCOL_VERSION, id, op }).filter(([, v]) => v !== undefined));
      const sized = plainJsonSize(message, maxRequestBytes);
      if ('error' in sized) {
        throw sized.error === 'too-large'
          ? new AnchorSyncError('ERR_PACK_TOO_LARGE', `request exceeds ${maxRequestBytes} bytes`)
          : new AnchorSyncError('ERR_INVALID_ARGUMENT', 'request is not plain JSON data');
      }
      const done = (error: unknown, result?: unknown): void => {
        pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (pending.size === 0) listenOn.removeEventListener('message', onMessage);
        if (error) reject(error);
        else resolve(result);
      };
      const onAbort = () => done(aborted(signal?.reason));
      const timer = setTimeout(() => done(new AnchorSyncError('ERR_TIMEOUT', `no answer within ${timeoutMs} ms`, { details: { timeoutMs } })), timeoutMs);
      if (pending.size === 0) {
        listenOn.addEventListener('message', onMessage);
        listenOn.start?.();
      }
      pending.set(id, done);
      signal?.addEventListener('abort', onAbort);
      try {
        // Ports take no origin (the second argument is their optional transfer list); a Window always gets the exact one.
        (target as WindowTarget).postMessage(message, origin!);
      } catch (cause) {
        done(new AnchorSyncError('ERR_TRANSPORT', 'postMessage failed', { cause }));
      }
    }).then(check);

  const closeAll = (error: AnchorSyncError): void => {
    closed ??= error;
    for (const done of [...pending.values()]) done(error);
  };
  const { signal } = options;
  if (signal?.aborted) closeAll(aborted(signal.reason, 'the transport was aborted'));
  else signal?.addEventListener('abort', () => closeAll(aborted(signal.reason, 'the transport was aborted')));

  const peer = (ns: unknown, orgId: unknown) => ({ ns: validateId(ns, 'ns'), orgId: validateId(orgId, 'orgId') });

  return {
    async pull({ ns, orgId, since, sinceHash, token, signal }: PullRequest): Promise<PullPage> {
      const ref = peer(ns, orgId);
      if (!Number.isSafeInteger(since) || since < 0) throw invalidOption('since must be a safe integer >= 0');
      return request('pull', { ...ref, since, sinceHash, token }, signal, checkPage);
    },
    async push(pack: unknown, callOptions?: CallOptions): Promise<PushResult> {
      const p = pack as { ns?: unknown; orgId?: unknown } | null | undefined;
      return request('push', { ...peer(p?.ns, p?.orgId), pack }, callOptions?.signal, checkPushResult);
    },
    async verifyMessage({ ns, orgId, kid, message, signature, signedAt }: VerifyMessageInput, callOptions?: CallOptions): Promise<MessageVerdict> {
      const ref = { ...peer(ns, orgId), kid: validateId(kid, 'kid') };
      if ((typeof message !== 'string' && !(message instanceof Uint8Array)) || (typeof signature !== 'string' && !(signature instanceof Uint8Array))) {
        throw invalidOption('message must be a string, signature base64url, or either a Uint8Array');
      }
      // Bytes travel as base64url: a Uint8Array is not plain JSON data.
      const text = typeof message === 'string' ? { message } : { messageB64u: bytesToB64u(message) };
      const members = { ...ref, ...text, signature: typeof signature === 'string' ? signature : bytesToB64u(signature), signedAt };
      return request('verify', members, callOptions?.signal, (r) => checkVerdict(r, ref.orgId, ref.kid));
    },
    async listPeers(callOptions: CallOptions & { ns?: string } = {}) {
      const ns = callOptions.ns === undefined ? undefined : validateId(callOptions.ns, 'ns');
      return request('peers', { ns }, callOptions.signal, (r) => checkPeers(r, ns));
    },
    async getAnchors(ns: string, orgId: string, callOptions?: CallOptions): Promise<Anchor[]> {
      const ref = peer(ns, orgId);
      return request('anchors', ref, callOptions?.signal, (r) => checkAnchors(r, ref.orgId));
    },
    async getSyncState(ns: string, orgId: string, callOptions?: CallOptions): Promise<SyncState | undefined> {
      const ref = peer(ns, orgId);
      return request('sync-state', ref, callOptions?.signal, (r) => checkSyncState(r, ref));
    },
    async call(op: ExtensionOp, params: Record<string, unknown> = {}, callOptions?: CallOptions): Promise<unknown> {
      if (typeof op !== 'string' || !EXTENSION_OP.test(op)) throw invalidOption('op must be an extension op like x-sync');
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
